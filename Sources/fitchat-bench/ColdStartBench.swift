import ArgumentParser
import Foundation

/// `fitchat-bench cold-start`: the daemon's start through systemd socket activation, measured from
/// the moment the first request goes in (fitchat not yet running) to its answer coming out.
struct ColdStartBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cold-start", abstract: "Time from first connection to first answer under systemd-socket-activate."
    )

    @Option(help: "The fitchat binary to start.") var fitchat: String
    @Option(help: "How many cold starts.") var runs: Int = 10
    @Option(help: "systemd-socket-activate's path.") var activate: String = "/usr/bin/systemd-socket-activate"

    func run() throws {
        var samples: [Double] = []
        for run in 0..<runs {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-cold-\(UUID().uuidString)")
                .path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: dir + "/empty.conf", contents: Data())
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let port = 20000 + Int.random(in: 0..<20000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: activate)
            process.arguments = [
                "-l", "127.0.0.1:\(port)", "--fdname=http", "-E", "FITCHAT_CONFIG=\(dir)/empty.conf",
                fitchat, "serve", "--data-dir", dir,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            let deadline = Date().addingTimeInterval(10)
            while !Self.listening(port: port), Date() < deadline { usleep(10_000) }
            let started = DispatchTime.now().uptimeNanoseconds
            let answer = try Self.get(port: port, path: "/healthz")
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            guard answer.hasPrefix("HTTP/1.1 200") else { throw ValidationError("run \(run): \(answer.prefix(40))") }
            samples.append(elapsed)
            print(String(format: "run %2d: %.1f ms", run + 1, elapsed))
        }
        samples.sort()
        let median = samples[samples.count / 2]
        print(
            String(
                format: "cold start through the socket: median %.1f ms, min %.1f ms, max %.1f ms over %d runs",
                median, samples.first!, samples.last!, samples.count))
        print(
            #"{"cold_start_ms":{"median":\#(median),"min":\#(samples.first!),"max":\#(samples.last!)},"runs":\#(samples.count)}"#
        )
    }

    /// Whether 127.0.0.1:port is listening, read from /proc/net/tcp (no connection is made).
    static func listening(port: Int) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return false }
        let local = String(format: "0100007F:%04X", port)
        return table.split(separator: "\n").dropFirst().contains { row in
            let fields = row.split(separator: " ")
            return fields.count > 3 && fields[1] == local && fields[3] == "0A"
        }
    }

    static func get(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw ValidationError("cannot connect") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }
}
