import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

struct ClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A blocking TCP connection to 127.0.0.1 with timeouts, so a broken server fails a test fast.
final class RawConnection {
    let fd: Int32
    var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw ClientError("cannot connect to port \(port)")
        }
    }

    deinit { Glibc.close(fd) }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("write failed") }
            offset += n
        }
    }

    /// Reads more bytes into `buffer`; false at end of stream. Throws on timeout.
    func fill(timeout: Double) throws -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) > 0 else { throw ClientError("timed out after \(timeout) s") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// Reads until `buffer` holds `count` bytes.
    func need(_ count: Int, timeout: Double) throws {
        while buffer.count < count {
            guard try fill(timeout: timeout) else { throw ClientError("connection closed") }
        }
    }

    func take(_ count: Int) -> [UInt8] {
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// Reads an HTTP response head; returns status and headers (lowercased names).
    func readHead(timeout: Double) throws -> (status: Int, headers: [String: String]) {
        while true {
            if let end = findHeadEnd() {
                let head = String(decoding: take(end + 4), as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n")
                let parts = lines[0].split(separator: " ")
                guard parts.count >= 2, let status = Int(parts[1]) else {
                    throw ClientError("bad status line \(lines[0])")
                }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() where line.contains(":") {
                    let kv = line.split(separator: ":", maxSplits: 1)
                    headers[kv[0].lowercased()] = kv[1].trimmingCharacters(in: .whitespaces)
                }
                return (status, headers)
            }
            guard try fill(timeout: timeout) else { throw ClientError("connection closed before a response") }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}

struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: String
}

/// One HTTP/1.1 request per connection: `send` now, `response` later (so requests can overlap).
final class PendingRequest {
    let connection: RawConnection

    init(port: Int, method: String, path: String, body: String? = nil, headers: [String: String] = [:]) throws {
        connection = try RawConnection(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let bodyBytes = Array((body ?? "").utf8)
        if body != nil || method == "POST" || method == "PUT" {
            request += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: \(bodyBytes.count)\r\n"
        }
        request += "\r\n"
        try connection.write(Array(request.utf8) + bodyBytes)
    }

    func response(timeout: Double = 5) throws -> HTTPResult {
        let (status, headers) = try connection.readHead(timeout: timeout)
        if let length = headers["content-length"].flatMap(Int.init) {
            try connection.need(length, timeout: timeout)
            return HTTPResult(
                status: status, headers: headers, body: String(decoding: connection.take(length), as: UTF8.self))
        }
        while try connection.fill(timeout: timeout) {}
        return HTTPResult(status: status, headers: headers, body: String(decoding: connection.buffer, as: UTF8.self))
    }
}

func http(
    _ method: String, port: Int, _ path: String, body: String? = nil, headers: [String: String] = [:],
    timeout: Double = 5
) throws -> HTTPResult {
    try PendingRequest(port: port, method: method, path: path, body: body, headers: headers).response(timeout: timeout)
}

/// A WebSocket client (RFC 6455): masked frames out, unmasked frames in.
final class RawWebSocket {
    enum Message: Equatable {
        case text(String)
        case binary([UInt8])
        case closed(code: UInt16?)
    }

    let connection: RawConnection
    private(set) var isClosed = false

    /// Opens the WebSocket; throws `HandshakeRefused` with the HTTP status when the server says no.
    init(port: Int, path: String, headers: [String: String] = [:]) throws {
        connection = try RawConnection(port: port)
        var request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try connection.write(Array((request + "\r\n").utf8))
        let (status, _) = try connection.readHead(timeout: 5)
        guard status == 101 else { throw HandshakeRefused(status: status) }
    }

    struct HandshakeRefused: Error, Equatable { var status: Int }

    func send(_ text: String) throws { try sendFrame(opcode: 0x1, Array(text.utf8)) }
    func send(binary: [UInt8]) throws { try sendFrame(opcode: 0x2, binary) }

    func sendFrame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) throws {
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 65535 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try connection.write(frame)
    }

    /// The next data message (pings from the server's WebSocket layer are skipped; Engine.IO pings are data).
    func receive(timeout: Double = 5) throws -> Message {
        if isClosed { return .closed(code: nil) }
        while true {
            do {
                try connection.need(2, timeout: timeout)
            } catch let error as ClientError where error.description == "connection closed" {
                isClosed = true
                return .closed(code: nil)
            }
            let opcode = connection.buffer[0] & 0x0F
            var length = Int(connection.buffer[1] & 0x7F)
            var headerLength = 2
            if length == 126 {
                try connection.need(4, timeout: timeout)
                length = Int(connection.buffer[2]) << 8 | Int(connection.buffer[3])
                headerLength = 4
            } else if length == 127 {
                try connection.need(10, timeout: timeout)
                length = connection.buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
                headerLength = 10
            }
            try connection.need(headerLength + length, timeout: timeout)
            _ = connection.take(headerLength)
            let payload = connection.take(length)
            switch opcode {
            case 0x1: return .text(String(decoding: payload, as: UTF8.self))
            case 0x2: return .binary(payload)
            case 0x8:
                isClosed = true
                return .closed(code: payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil)
            default: continue
            }
        }
    }

    /// The next message that is not an Engine.IO ping ("2").
    func receiveSkippingPings(timeout: Double = 5) throws -> Message {
        while true {
            let message = try receive(timeout: timeout)
            if message != .text("2") { return message }
        }
    }

    /// Waits until the server closes the connection (close frame or end of stream); returns the close code.
    /// `timeout` is one deadline for the whole wait: messages (Engine.IO pings every few hundred
    /// milliseconds) do not restart it, so a server that never closes fails the test in time.
    func waitForClose(timeout: Double = 5) throws -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw ClientError("the server did not close the connection within \(timeout) s")
            }
            if case .closed(let code) = try receive(timeout: remaining) { return code }
        }
    }
}

/// The conformance server as a child process on a port of its own.
final class ConformanceServer {
    let child: Child
    let port: Int

    /// `pingIntervalMs`: the suite's 300 ms unless the test is not about heartbeats.
    init(pingIntervalMs: Int = 300) throws {
        child = try Child(
            binaryDirectory() + "/socketio-conformance-server",
            ["--port", "0", "--ping-interval-ms", "\(pingIntervalMs)"])
        guard let line = child.readLine(), line.hasPrefix("LISTENING "), let port = Int(line.dropFirst(10)) else {
            throw ClientError("the conformance server did not start")
        }
        self.port = port
    }

    deinit { child.kill() }

    func get(_ path: String) throws -> HTTPResult { try http("GET", port: port, path) }
    func post(_ path: String, _ body: String) throws -> HTTPResult { try http("POST", port: port, path, body: body) }

    func webSocket(_ path: String = "/socket.io/?EIO=4&transport=websocket") throws -> RawWebSocket {
        try RawWebSocket(port: port, path: path)
    }

    /// Opens a polling session; returns its sid.
    func pollingSession() throws -> String {
        let response = try get("/socket.io/?EIO=4&transport=polling")
        guard response.status == 200, response.body.hasPrefix("0"),
            let open = try JSONSerialization.jsonObject(with: Data(response.body.dropFirst().utf8)) as? [String: Any],
            let sid = open["sid"] as? String
        else { throw ClientError("no polling handshake: \(response.body)") }
        return sid
    }

    /// A WebSocket connected to the main namespace, past the Engine.IO and Socket.IO handshakes and the `auth` event.
    func socketIOConnection() throws -> RawWebSocket {
        let socket = try webSocket()
        _ = try socket.receive()  // Engine.IO handshake
        try socket.send("40")
        _ = try socket.receiveSkippingPings()  // Socket.IO handshake
        _ = try socket.receiveSkippingPings()  // "auth"
        return socket
    }
}

func jsonObject(_ text: some StringProtocol) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw ClientError("not a JSON object: \(text)")
    }
    return object
}
