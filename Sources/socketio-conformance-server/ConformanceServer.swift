import EngineIO
import EngineIOProtocol
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import SocketIO
import SocketIOProtocol

/// The reference server the official socket.io-protocol test suite expects, for tests only:
/// `socketio-conformance-server --port P [--host H] [--ping-interval-ms N]`. Prints
/// `LISTENING <port>` once it accepts. The suite's heartbeat (300 ms, timeout 200 ms) is the
/// default; tests that are not about heartbeats ask for a long one, so a loaded machine cannot
/// turn them into ping timeouts.
@main
struct ConformanceServer {
    static func main() async throws {
        var host = "127.0.0.1"
        var port = 3000
        var pingInterval = 300
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--port": port = Int(arguments.popFirst() ?? "") ?? -1
            case "--host": host = arguments.popFirst() ?? host
            case "--ping-interval-ms": pingInterval = Int(arguments.popFirst() ?? "") ?? -1
            default:
                FileHandle.standardError.write(
                    Data("usage: socketio-conformance-server --port P [--host H] [--ping-interval-ms N]\n".utf8))
                exit(2)
            }
        }
        guard pingInterval > 0 else {
            FileHandle.standardError.write(Data("error: --ping-interval-ms needs a positive number\n".utf8))
            exit(2)
        }
        guard (0...65535).contains(port) else {
            FileHandle.standardError.write(Data("error: --port needs a number 0-65535\n".utf8))
            exit(2)
        }

        var logger = Logger(label: "socketio-conformance-server")
        logger.logLevel =
            ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let http = HTTPServer(group: group, logger: logger)
        var engineConfiguration = EngineConfiguration()
        engineConfiguration.pingInterval = .milliseconds(Int64(pingInterval))
        engineConfiguration.pingTimeout = .milliseconds(200)
        engineConfiguration.maxPayload = 1_000_000
        let engine = EngineServer(configuration: engineConfiguration, group: group, logger: logger)
        engine.install(on: http)
        var socketIOConfiguration = SocketIOServer.Configuration()
        socketIOConfiguration.keepsAuth = true  // the suite expects the CONNECT payload echoed back
        let io = SocketIOServer(engine: engine, configuration: socketIOConfiguration, logger: logger)
        for name in ["/", "/custom"] {
            let namespace = io.of(name)
            namespace.onConnect { socket in
                socket.emit("auth", socket.auth ?? .object([]))
            }
            namespace.on("message") { socket, args, _ in
                socket.emit("message-back", args)
            }
            namespace.on("message-with-ack") { _, args, ack in
                ack?.reply(args)
            }
        }
        let address = try await http.bind(host: host, port: port)
        print("LISTENING \(address.port ?? port)")
        fflush(nil)  // all streams: the test harness waits for this line
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
