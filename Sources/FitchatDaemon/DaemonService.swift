import Accounts
import Administration
import ChatModel
import ChatStore
import Configuration
import EngineIO
import EngineIOProtocol
import FitchatCore
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SocketIO
import Systemd
import WebRoutes

/// The running daemon as one service of the lifecycle: start, report ready, keep the watchdog
/// fed, and on SIGTERM drain in order.
struct DaemonService: Service, CustomStringConvertible {
    let settings: Settings
    let store: ChatStore
    let hostApp: HostAppTokenVerifier?
    let metrics: ChatMetrics
    let group: EventLoopGroup
    let logger: Logger

    /// ServiceLifecycle logs each service at debug level: never the settings (they hold the token secret).
    var description: String { "fitchat daemon" }

    func run() async throws {
        let notifier = Notifier()
        var httpConfiguration = HTTPServerConfiguration()
        httpConfiguration.maxWebSocketMessage = 1_000_000
        httpConfiguration.maxConnections = settings.effectiveMaxConnections
        httpConfiguration.hostPolicy = HostPolicy(serverNames: settings.serverNames)
        let http = HTTPServer(configuration: httpConfiguration, group: group, logger: logger)
        logger.info("accepting at most \(settings.effectiveMaxConnections) connections (file limit \(Settings.currentFileLimit()))")
        let originPolicy = OriginPolicy(allowed: settings.allowedOrigins)
        var engineConfiguration = EngineConfiguration()
        // Sessions per address: the signed-in ones (also capped per socket at CONNECT) plus half-open ones.
        engineConfiguration.maxSessionsPerAddress = settings.maxConnectionsPerIP + settings.maxPendingConnectionsPerIP
        engineConfiguration.maxHalfOpenSessionsPerAddress = settings.maxPendingConnectionsPerIP
        let engine = EngineServer(configuration: engineConfiguration, originPolicy: originPolicy, group: group, logger: logger)
        engine.install(on: http)
        let io = SocketIOServer(engine: engine, logger: logger)
        var limits = ChatServer.Limits()
        limits.messageBurst = settings.messageBurst
        limits.messageRate = settings.messageRate
        limits.maxConnectionsPerIP = settings.maxConnectionsPerIP
        var observer = ChatServer.Observer()
        observer.stored = { metrics.messagesStored.increment() }
        observer.delivered = { metrics.deliveries.increment(by: $0) }
        observer.refused = { metrics.refused($0) }
        observer.connections = { metrics.connections.record($0) }
        let authenticator = Authenticator(store: store, hostApp: hostApp)
        let chat = ChatServer(store: store, authenticator: authenticator, io: io, limits: limits, logger: logger, observer: observer)
        AccountRoutes(store: store, chat: chat, authenticator: authenticator, originPolicy: originPolicy, openRegistration: settings.openRegistration, logger: logger)
            .install(on: http)
        Routes.install(on: http, store: store)
        http.route(.GET, "/metrics") { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                         body: ByteBuffer(string: await metrics.exposition(engine: engine)))
        }
        if ProcessInfo.processInfo.environment["FITCHAT_TEST_HOOKS"] == "1" { TestHooks.install(on: http, group: group, store: store, logger: logger) }
        let files = try StaticFiles(root: WebRoot.resolve(configured: settings.webRoot))
        PageRoutes.install(on: http, files: files, store: store, authenticator: authenticator, openRegistration: settings.openRegistration)
        logger.info("serving the page from \(files.root)")

        // Sockets passed by systemd come first; without them, bind --listen.
        let passed = ListenFDs.http(ListenFDs.take())
        if passed.isEmpty {
            let address: SocketAddress
            do {
                address = try await http.bind(host: settings.listen.host, port: settings.listen.port)
            } catch let error as IOError {
                throw ConfigError(ListenError.describe(error, address: settings.listen))
            }
            logger.notice("listening on \(Self.url(of: address))", metadata: ["host_app_tokens": "\(hostApp != nil ? "accepted" : "off")"])
        } else {
            let addresses = try await http.adopt(listeningFDs: passed)
            logger.notice("serving sockets passed by systemd: \(addresses.map(\.description).joined(separator: ", "))",
                          metadata: ["host_app_tokens": "\(hostApp != nil ? "accepted" : "off")"])
        }
        let control = try await ControlServer.start(path: settings.controlSocketPath, group: group, logger: logger) { message in
            logger.info("control message", metadata: ["message": "\(SafeText.forLog("\(message)", limit: 200))"])
            switch message {
            case .roomsChanged: chat.roomsChanged()
            case .userChanged(let name), .sessionsRevoked(let name): chat.revalidate(userNamed: name)
            case .memberRemoved(let room, let user): chat.memberRemoved(roomNamed: room, userNamed: user)
            case .ping: break
            }
        }

        // Ready only now: the store is open and migrated and the server accepts.
        notifier.ready(status: Self.status(chat))
        let background = Task {
            await withTaskGroup(of: Void.self) { tasks in
                if let interval = notifier.watchdogInterval() {
                    logger.info("watchdog on", metadata: ["interval_ms": "\(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)"])
                    tasks.addTask { await Watchdog(interval: interval, group: group, store: store, notifier: notifier, logger: logger).run() }
                }
                tasks.addTask {
                    while (try? await Task.sleep(for: .seconds(10))) != nil {
                        notifier.status(Self.status(chat))
                    }
                }
            }
        }

        try? await gracefulShutdown()
        notifier.stopping()
        logger.notice("stopping: no longer accepting connections")
        background.cancel()
        await http.stopAccepting()
        // Close every Socket.IO session properly: clients get a close packet and reconnect later.
        for session in engine.allSessions { session.close() }
        try? await Task.sleep(for: .milliseconds(200))
        chat.stop()
        await control.close()
    }

    /// `http://127.0.0.1:8080/` rather than NIO's `[IPv4]127.0.0.1/127.0.0.1:8080`: what to open.
    static func url(of address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return "http://\(host):\(port)/"
    }

    static func status(_ chat: ChatServer) -> String {
        let connections = chat.connectionCount, rooms = chat.activeRooms
        return "\(connections) connection\(connections == 1 ? "" : "s"), \(rooms) room\(rooms == 1 ? "" : "s") active"
    }
}
