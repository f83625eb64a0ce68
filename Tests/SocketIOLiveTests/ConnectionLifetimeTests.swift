import EngineIO
import Foundation
import HTTPServer
import NIOConcurrencyHelpers
import NIOCore
import SocketIO
import SocketIOProtocol
import TestSupport
import Testing

/// Connections and what outlives them: sockets after their transport closed, callbacks of
/// requests on a keep-alive connection, connections beyond the descriptor budget.
@Suite struct ConnectionLifetimeTests {
    @Test func anOperatorActionOnASocketWhoseTransportClosedIsHarmless() async throws {
        let server = try await InProcessServer().start()
        defer { Task { await server.stop() } }
        let port = server.port
        var client: RawWebSocket? = try await blocking {
            let client = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try client.receive(timeout: 20)  // open
            try client.send("40")
            _ = try client.receiveSkippingPings(timeout: 20)  // CONNECT
            return client
        }
        #expect(await server.eventually { server.io.of("/").sockets.count == 1 })
        let socket = try #require(server.io.of("/").sockets.first)
        #expect(client != nil)
        client = nil  // the TCP connection closes; the session ends and lets go of its connection
        #expect(await server.eventually { server.io.of("/").sockets.isEmpty && server.engine.sessionCount == 0 })
        try await Task.sleep(for: .milliseconds(50))
        // What `user disable` or a logout does to a socket it found a moment earlier.
        socket.disconnect()
        socket.emit("rooms_list", [])
        socket.session.close()
        await #expect(throws: SocketDisconnected.self) { _ = try await socket.emitWithAck("question", []) }
        try await Task.sleep(for: .milliseconds(50))
    }

    @Test func aRequestsEndFutureCompletesWhenItIsAnsweredNotWhenTheConnectionCloses() async throws {
        let server = InProcessServer()
        let ends = NIOLockedValueBox<[EventLoopFuture<RequestEnd>]>([])
        server.http.route(.GET, "/hold") { request in
            if let ended = request.ended { ends.withLockedValue { $0.append(ended) } }
            return .text(.ok, "ok")
        }
        _ = try await server.start()
        defer { Task { await server.stop() } }

        // Several requests on one keep-alive connection, which stays open.
        let port = server.port
        let connection = try await blocking {
            let connection = try RawConnection(port: port)
            for _ in 0..<3 {
                try connection.write(Array("GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                let (status, headers) = try connection.readHead(timeout: 20)
                #expect(status == 200)
                try connection.need(Int(headers["content-length"] ?? "0")!, timeout: 20)
                _ = connection.take(Int(headers["content-length"] ?? "0")!)
            }
            return connection
        }
        let futures = ends.withLockedValue { $0 }
        #expect(futures.count == 3)
        // Each request's future is done once answered: no callback waits on the open connection.
        let answered = NIOLockedValueBox(0)
        for future in futures { future.whenSuccess { if $0 == .answered { answered.withLockedValue { $0 += 1 } } } }
        #expect(await server.eventually { answered.withLockedValue { $0 } == 3 })
        _ = connection
    }

    @Test func connectionsAboveTheCapTakeAnIdleOnesPlaceSoHealthChecksGetIn() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = 8
        let server = InProcessServer(http: configuration)
        server.http.route(.GET, "/healthz") { _ in .text(.ok, "ok\n") }
        _ = try await server.start()
        defer { Task { await server.stop() } }

        let port = server.port
        let idle = try (0..<30).map { _ in try RawConnection(port: port) }
        #expect(await server.eventually { server.http.connections.openConnections >= 8 })
        let health = try await blocking { try http("GET", port: port, "/healthz", timeout: 20) }
        #expect(health.status == 200)
        #expect(server.http.connections.openConnections <= 8)
        _ = idle
    }
}
