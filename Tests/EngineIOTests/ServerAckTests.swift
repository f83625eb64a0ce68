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
        configuration.ackTimeout = .milliseconds(300)
        let io = SocketIOServer(engine: engine, configuration: configuration, logger: logger)
        let address = try await http.bind(host: "127.0.0.1", port: 0)

        let client = try RawWebSocketClient(port: address.port!)
        defer { client.close() }
        try client.handshake()
        try client.sendText("40")
        for _ in 0..<200 where io.of("/").sockets.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        let socket = try #require(io.of("/").sockets.first)

        async let answered = socket.emitWithAck("question", ["how many reps?"])
        // The client reads the EVENT with its ack id and answers with an ACK carrying that id.
        let packet = try client.readText(containing: "question")
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
    /// Reads unmasked server text frames until one contains `needle`.
    func readText(containing needle: String, timeout: Double = 5) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer: [UInt8] = []
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            buffer += chunk[0..<n]
            while buffer.count >= 2 {
                let length = Int(buffer[1] & 0x7F)
                guard length < 126, buffer.count >= 2 + length else { break }
                let text = String(decoding: buffer[2..<(2 + length)], as: UTF8.self)
                buffer.removeFirst(2 + length)
                if text.contains(needle) { return text }
            }
        }
        throw POSIXError(.ETIMEDOUT)
    }
}
