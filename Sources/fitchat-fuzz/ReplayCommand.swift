import Foundation
import FuzzTargets

/// The commands of the normal (non-fuzzer) build.
enum ReplayCommand {
    static let usage = """
        usage: fitchat-fuzz replay TARGET FILE|DIR…   run inputs through a target
               fitchat-fuzz seeds DIR                 write the generated seeds under DIR/<target>/
        targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))

        """

    static func run(_ arguments: [String]) -> Int32 {
        switch arguments.first {
        case "replay" where arguments.count >= 3:
            guard let target = FuzzTarget(rawValue: arguments[1]) else { return fail("no target \(arguments[1])") }
            var count = 0
            for path in arguments.dropFirst(2) {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        return fail("cannot read \(file)")
                    }
                    print("\(target.rawValue): \(file)")
                    target.run(Array(data))
                    count += 1
                }
            }
            print("\(count) inputs ran through \(target.rawValue) without a crash")
            return 0
        case "seeds" where arguments.count == 2:
            for seed in FuzzSeeds.all() {
                let directory = "\(arguments[1])/\(seed.target.rawValue)"
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    try Data(seed.bytes).write(to: URL(fileURLWithPath: "\(directory)/gen-\(seed.name)"))
                } catch {
                    return fail("cannot write \(directory)/gen-\(seed.name): \(error)")
                }
            }
            return 0
        default:
            return fail("")
        }
    }

    /// A file, or every regular file under a directory (sorted).
    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [path]
        }
        let names = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
        return names.map { "\(path)/\($0)" }.filter { file in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data((message.isEmpty ? usage : message + "\n").utf8))
        return 2
    }
}
