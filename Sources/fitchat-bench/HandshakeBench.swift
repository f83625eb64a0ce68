import ArgumentParser
import Foundation

/// `fitchat-bench handshakes`: N sequential Engine.IO polling handshakes on one keep-alive
/// connection against a running server, with the rate per window — a rate that falls as sessions
/// accumulate means per-session work grows with the number of sessions ever made.
struct HandshakeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handshakes",
        abstract: "Sequential polling handshakes on one keep-alive connection; rate per window.")

    @Option(help: "The server's address (HOST:PORT, IPv4).") var server: String = "127.0.0.1:8080"
    @Option(help: "How many handshakes.") var count: Int = 200_000
    @Option(help: "Handshakes per reported window.") var window: Int = 10_000
    @Flag(
        inversion: .prefixedNo,
        help: "Close each session right after its handshake (so per-address session caps never refuse).")
    var close: Bool = true

    func run() throws {
        let parts = server.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw ValidationError("--server HOST:PORT") }
        let connection = try KeepAliveConnection(host: String(parts[0]), port: port)
        let host = server
        var rates: [Double] = []
        var windowStart = DispatchTime.now().uptimeNanoseconds
        let started = windowStart
        for index in 1...count {
            let open = try connection.request(
                "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            guard open.status == 200, let sid = Self.sid(in: open.body) else {
                throw ValidationError("handshake \(index): HTTP \(open.status) \(open.body.prefix(80))")
            }
            if close {
                let post = try connection.request(
                    "POST /socket.io/?EIO=4&transport=polling&sid=\(sid) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1"
                )
                guard post.status == 200 else { throw ValidationError("close \(index): HTTP \(post.status)") }
            }
            if index % window == 0 || index == count {
                let now = DispatchTime.now().uptimeNanoseconds
                let size = index % window == 0 ? window : index % window
                let rate = Double(size) / (Double(now - windowStart) / 1e9)
                rates.append(rate)
                printLine(String(format: "sessions %7d–%7d: %8.0f handshakes/s", index - size + 1, index, rate))
                windowStart = now
            }
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let first = rates.first ?? 0
        let last = rates.last ?? 0
        printLine(
            String(
                format: "%d handshakes in %.1f s: first window %.0f/s, last window %.0f/s (last/first %.2f)",
                count, total, first, last, first > 0 ? last / first : 0))
        printLine(
            #"{"handshakes":\#(count),"window":\#(window),"rates":[\#(rates.map { String(Int($0)) }.joined(separator: ","))]}"#
        )
    }

    /// The sid in an open packet `0{"sid":"…",…}`.
    static func sid(in body: String) -> String? {
        guard let start = body.range(of: #""sid":""#)?.upperBound, let end = body[start...].firstIndex(of: "\"") else {
            return nil
        }
        return String(body[start..<end])
    }
}

/// One HTTP/1.1 keep-alive connection over a blocking socket: a request out, its answer (by
/// Content-Length) in.
final class KeepAliveConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(host: String, port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw ValidationError("cannot connect to \(host):\(port)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { Foundation.close(fd) }

    func request(_ text: String) throws -> (status: Int, body: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw ValidationError("connection closed while writing") }
            sent += n
        }
        let headEnd = try readUntilHeadEnd()
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        let status = Int(head.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
        let length =
            head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        let bodyStart = headEnd + 4
        while buffer.count < bodyStart + length { try fill() }
        let body = String(decoding: buffer[bodyStart..<(bodyStart + length)], as: UTF8.self)
        buffer.removeFirst(bodyStart + length)
        return (status, body)
    }

    private func readUntilHeadEnd() throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                for i in searchFrom...(buffer.count - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    return i
                }
                searchFrom = buffer.count - 3
            }
            try fill()
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = read(fd, &chunk, chunk.count)
        guard n > 0 else { throw ValidationError("connection closed by the server") }
        buffer.append(contentsOf: chunk[..<n])
    }
}
