import EngineIO
import EngineIOProtocol
import Foundation
import HTTPServer
import Logging
import NIOPosix
import SocketIO
import SocketIOProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Server-to-client acks: the server emits with an ack id, the client answers (or does not).
@Suite struct ServerAckTests {
    @Test func anAnsweredAckResolvesAndASilentOneTimesOut() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let logger = Logger(label: "test")
        let http = HTTPServer(group: group, logger: logger)
        let engine = EngineServer(group: group, logger: logger)
        engine.install(on: http)
        var configuration = SocketIOServer.Configuration()
        // Long enough for an answer to come back on a loaded machine (300 ms was not); the silent ack
        // below waits it out once.
        configuration.ackTimeout = .seconds(3)
        let io = SocketIOServer(engine: engine, configuration: configuration, logger: logger)
        // The namespace hands over the socket when the CONNECT is accepted: no polling for it.
        let (connected, arrived) = AsyncStream.makeStream(of: Socket.self)
        io.of("/").onConnect { socket in arrived.yield(socket) }
        let address = try await http.bind(host: "127.0.0.1", port: 0)

        let client = try RawWebSocketClient(port: address.port!)
        defer { client.close() }
        try client.handshake()
        try client.sendText("40")
        var sockets = connected.makeAsyncIterator()
        let socket = try #require(await sockets.next())
        #expect(io.of("/").sockets.map(\.id) == [socket.id])

        async let answered = socket.emitWithAck("question", ["how many reps?"])
        // The client reads the EVENT with its ack id and answers with an ACK carrying that id.
        let packet = try await client.readText(containing: "question", timeout: 30)  // generous: a loaded machine
        let id = packet.dropFirst(2).prefix { $0.isNumber }
        #expect(packet == #"42\#(id)["question","how many reps?"]"#)
        try client.sendText("43\(id)[12]")
        #expect(try await answered == [12])

        await #expect(throws: AckTimeout.self) {
            _ = try await socket.emitWithAck("unanswered", [])
        }
        await http.stopAccepting()
        try await group.shutdownGracefully()
    }
}

extension RawWebSocketClient {
    /// Reads unmasked server text frames until one contains `needle`. It never blocks a thread
    /// of the cooperative pool: the server-side task under test may need one to run.
    func readText(containing needle: String, timeout: Double = 5) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = leftover
        leftover = []
        while Date() < deadline {
            if let text = Self.takeText(&buffer, containing: needle) { return text }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0 else {
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            buffer += chunk[0..<n]
        }
        if let text = Self.takeText(&buffer, containing: needle) { return text }
        throw POSIXError(.ETIMEDOUT)
    }

    /// Takes whole frames off `buffer` until a text frame contains `needle`.
    static func takeText(_ buffer: inout [UInt8], containing needle: String) -> String? {
        while buffer.count >= 2 {
            var length = Int(buffer[1] & 0x7F)
            var header = 2
            if length == 126 {
                guard buffer.count >= 4 else { return nil }
                length = Int(buffer[2]) << 8 | Int(buffer[3])
                header = 4
            } else if length == 127 {
                guard buffer.count >= 10 else { return nil }
                length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
                header = 10
            }
            guard buffer.count >= header + length else { return nil }
            let text = String(decoding: buffer[header..<(header + length)], as: UTF8.self)
            buffer.removeFirst(header + length)
            if text.contains(needle) { return text }
        }
        return nil
    }
}
