import Foundation
import FuzzTargets
import Testing

/// Every committed seed and every regression input (a crash the fuzzers found, fixed) runs through
/// its target in a normal build: a decoder that crashes again, or breaks a round trip, fails here.
@Suite struct FuzzInputsTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsRun(_ target: FuzzTarget) throws {
        let seeds = Self.inputs("corpus", target)
        #expect(seeds.count >= 5, "a target needs seeds: \(target.rawValue) has \(seeds.count)")
        for file in seeds { target.run(Array(try Data(contentsOf: file))) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionsRun(_ target: FuzzTarget) throws {
        for file in Self.inputs("regressions", target) { target.run(Array(try Data(contentsOf: file))) }
    }

    /// The generated seeds on disk are what the encoders make today (`fitchat-fuzz seeds`), so a
    /// record layout change cannot leave the corpus describing the old one.
    @Test func generatedSeedsAreCurrent() throws {
        for seed in FuzzSeeds.all() {
            let file = Self.fuzzDirectory.appendingPathComponent("corpus").appendingPathComponent(seed.target.rawValue)
                .appendingPathComponent("gen-\(seed.name)")
            let stored = try? Data(contentsOf: file)
            #expect(
                stored.map(Array.init) == seed.bytes, "\(file.path) is stale: run fitchat-fuzz seeds Tests/Fuzz/corpus")
        }
    }
}
