import EngineIO
import EngineIOProtocol
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import SocketIO
import SocketIOProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A client that connects over WebSocket, joins, and then never reads again, while its room is
/// broadcast to: the server must drop it at the queue limit instead of buffering without end.
@Suite struct SlowConsumerTests {
    @Test func aClientThatNeverReadsIsDroppedAndMemoryStaysBounded() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let logger = Logger(label: "test")
        let http = HTTPServer(group: group, logger: logger)
        var configuration = EngineConfiguration()
        configuration.maxQueuedBytes = 1 << 20
        let engine = EngineServer(configuration: configuration, group: group, logger: logger)
        engine.install(on: http)
        let io = SocketIOServer(engine: engine, logger: logger)
        // The namespace hands over the socket once it is in the room: no polling for it.
        let (joined, didJoin) = AsyncStream.makeStream(of: Socket.self)
        io.of("/").onConnect { socket in
            socket.join("busy")
            didJoin.yield(socket)
        }
        let address = try await http.bind(host: "127.0.0.1", port: 0)

        let client = try RawWebSocketClient(port: address.port!)
        defer { client.close() }
        try client.handshake()
        try client.sendText("40")
        var sockets = joined.makeAsyncIterator()
        let socket = try #require(await sockets.next())
        #expect(io.of("/").sockets(in: "busy").map(\.id) == [socket.id])

        let rssBefore = residentMegabytes()
        let chunk = JSONValue.string(String(repeating: "x", count: 64 * 1024))
        var sent = 0
        // 256 MB of broadcasts, far beyond any socket buffer.
        for _ in 0..<4096 {
            io.of("/").emit(to: "busy", "flood", [chunk])
            sent += 64 * 1024
            if io.of("/").sockets(in: "busy").isEmpty { break }
            if sent % (4 << 20) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        for _ in 0..<300 where !io.of("/").sockets(in: "busy").isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        let rssAfter = residentMegabytes()
        print("slow consumer: dropped after \(sent >> 20) MB broadcast; RSS \(rssBefore) MB -> \(rssAfter) MB")
        #expect(io.of("/").sockets(in: "busy").isEmpty, "the slow client was not dropped")
        #expect(engine.sessionCount == 0)
        #expect(rssAfter - rssBefore < 64, "server memory grew with the slow client's backlog")
        await http.stopAccepting()
        try await group.shutdownGracefully()
    }
}

func residentMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    else { return 0 }
    return kb / 1024
}

/// A WebSocket client on a bare socket with a tiny receive buffer, so it can stop reading.
final class RawWebSocketClient {
    let fd: Int32
    /// Bytes read past the 101 response (the first frames may arrive with it).
    var leftover: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func handshake() throws {
        let request =
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try write(Array(request.utf8))
        // Read the 101 response head (and possibly the open packet behind it).
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            received += buffer[0..<n]
        }
        guard String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { throw POSIXError(.EPROTO) }
        let headEnd = (0...(received.count - 4)).first { received[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }!
        leftover = Array(received[(headEnd + 4)...])
    }

    func sendText(_ text: String) throws {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [1, 2, 3, 4]
        var frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)] + mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try write(frame)
    }

    private func write(_ bytes: [UInt8]) throws {
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(.EIO) }
    }

    func close() { _ = Glibc.close(fd) }
}
