import ChatStore
import EngineIO
import EngineIOProtocol
import SocketIO
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `fitchat serve`: holds the data directory, opens (and migrates) the store, serves HTTP and the
/// control socket, and on SIGTERM/SIGINT stops accepting, drains and closes the store.
public final class Daemon: Sendable {
    let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    public func run() async throws {
        let logger = Logger(label: "fitchat")
        // A short secret stops the start: a guessable secret would let anyone sign tokens.
        let hostApp = try settings.tokenSecret.map { try HostAppTokenVerifier(secret: $0) }
        let lock = try DaemonLock(dataDir: settings.dataDir)
        let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: true)
        let status = try store.status()
        logger.notice("store open", metadata: [
            "path": "\(status.path)", "schema": "\(status.schemaVersion)",
            "stale_readers_cleared": "\(status.staleReadersCleared)",
        ])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(System.coreCount, 2))
        let service = DaemonService(settings: settings, store: store, hostApp: hostApp, group: group, logger: logger)
        let serviceGroup = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await serviceGroup.run()
        } catch {
            store.close()
            try? await group.shutdownGracefully()
            throw error
        }
        store.close()
        try await group.shutdownGracefully()
        withExtendedLifetime(lock) {}
        logger.notice("stopped")
    }
}

/// The running daemon as one service of the lifecycle: start, wait for the shutdown signal, drain.
struct DaemonService: Service {
    let settings: Settings
    let store: ChatStore
    let hostApp: HostAppTokenVerifier?
    let group: EventLoopGroup
    let logger: Logger

    func run() async throws {
        var httpConfiguration = HTTPServerConfiguration()
        httpConfiguration.maxWebSocketMessage = 1_000_000
        let http = HTTPServer(configuration: httpConfiguration, group: group, logger: logger)
        let originPolicy = OriginPolicy(allowed: settings.allowedOrigins)
        let engine = EngineServer(configuration: EngineConfiguration(), originPolicy: originPolicy, group: group, logger: logger)
        engine.install(on: http)
        let io = SocketIOServer(engine: engine, logger: logger)
        var limits = ChatServer.Limits()
        limits.messageBurst = settings.messageBurst
        limits.messageRate = settings.messageRate
        limits.maxConnectionsPerIP = settings.maxConnectionsPerIP
        let authenticator = Authenticator(store: store, hostApp: hostApp)
        let chat = ChatServer(store: store, authenticator: authenticator, io: io, limits: limits, logger: logger)
        AccountRoutes(store: store, chat: chat, originPolicy: originPolicy, openRegistration: settings.openRegistration, logger: logger)
            .install(on: http)
        Routes.install(on: http, store: store)
        let files = try StaticFiles(root: WebRoot.resolve(configured: settings.webRoot))
        PageRoutes.install(on: http, files: files, store: store, authenticator: authenticator, openRegistration: settings.openRegistration)
        logger.info("serving the page from \(files.root)")
        let address = try await http.bind(host: settings.listen.host, port: settings.listen.port)
        logger.notice("listening on \(address)", metadata: ["host_app_tokens": "\(hostApp != nil ? "accepted" : "off")"])
        let control = try await ControlServer.start(path: settings.controlSocketPath, group: group, logger: logger) { message in
            logger.info("control message", metadata: ["message": "\(message)"])
            switch message {
            case .roomsChanged: chat.roomsChanged()
            case .userChanged(let name), .sessionsRevoked(let name): chat.revalidate(userNamed: name)
            case .ping: break
            }
        }
        try? await gracefulShutdown()
        logger.notice("stopping: no longer accepting connections")
        await http.stopAccepting()
        for session in engine.allSessions { session.close() }
        chat.stop()
        await control.close()
    }
}

/// The HTTP routes of the daemon.
enum Routes {
    static func install(on http: HTTPServer, store: ChatStore) {
        http.route(.GET, "/healthz") { _ in .text(.ok, "ok\n") }
    }
}
