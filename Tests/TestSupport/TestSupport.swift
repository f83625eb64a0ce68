import Foundation

public func temporaryDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-test-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The directory of the built executables: FITCHAT_BIN_DIR, or beside the running test bundle.
public func binaryDirectory() -> String {
    if let dir = ProcessInfo.processInfo.environment["FITCHAT_BIN_DIR"], !dir.isEmpty { return dir }
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = runner.deletingLastPathComponent()
    // On Linux the runner is <bin>/fitchatPackageTests.xctest; elsewhere it may be inside a bundle.
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("fitchat-bench").path), dir.path != "/" {
        dir = dir.deletingLastPathComponent()
    }
    return dir.path
}

/// A child process whose stdout lines can be read one by one.
public final class Child {
    public let process = Process()
    private let pipe = Pipe()
    private var buffer = Data()

    public init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The next line, or nil at end of output.
    public func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A small deterministic generator (SplitMix64) so a failing seeded test can be replayed.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs blocking work (client I/O, a child process, a sleep) on a GCD thread, never on the
/// cooperative pool: the suites share that pool (as wide as the machine has cores), and in-process
/// servers' async work (a route, a CONNECT's authorization) needs it while a blocked test waits.
public func blocking<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
