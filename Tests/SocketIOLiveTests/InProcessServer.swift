import EngineIO
import EngineIOProtocol
import Foundation
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SocketIO

/// An HTTP + Engine.IO + Socket.IO server in this process on a port of its own, for tests that
/// need to look inside (session counts, sockets) or configure limits.
final class InProcessServer: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let http: HTTPServer
    let engine: EngineServer
    let io: SocketIOServer
    private let boundPort = NIOLockedValueBox(0)
    var port: Int { boundPort.withLockedValue { $0 } }

    init(
        http httpConfiguration: HTTPServerConfiguration = .init(),
        engine engineConfiguration: EngineConfiguration = .init(),
        socketIO socketIOConfiguration: SocketIOServer.Configuration = .init()
    ) {
        let logger = Logger(label: "test")
        http = HTTPServer(configuration: httpConfiguration, group: group, logger: logger)
        engine = EngineServer(configuration: engineConfiguration, group: group, logger: logger)
        engine.install(on: http)
        io = SocketIOServer(engine: engine, configuration: socketIOConfiguration, logger: logger)
        _ = io.of("/")
    }

    func start() async throws -> InProcessServer {
        let bound = try await http.bind(host: "127.0.0.1", port: 0).port!
        boundPort.withLockedValue { $0 = bound }
        return self
    }

    func stop() async {
        await http.stopAccepting()
        for session in engine.allSessions { session.close() }
        try? await group.shutdownGracefully()
    }

    /// Polls `condition` for up to ten seconds (a loaded machine runs the server's tasks late).
    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
