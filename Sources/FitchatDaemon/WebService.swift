import Accounts
import Administration
import ChatGateway
import ChatStore
import Configuration
import EngineIO
import EngineIOProtocol
import Foundation
import HTTPServer
import Logging
import NIOCore
import ServiceLifecycle
import SocketIO
import Systemd
import WebRoutes

/// HTTP, Engine.IO, Socket.IO, the chat and the pages, as one service: listens (on the sockets
/// systemd passed, else on `listen`), and on shutdown stops accepting, closes every Socket.IO
/// session properly (clients get a close packet and reconnect later) and waits until each
/// connection has finished its last response and closed.
struct WebService: Service, CustomStringConvertible {
    let http: HTTPServer
    let engine: EngineServer
    let chat: ChatServer
    let store: ChatStore
    let listen: ListenAddress
    let hostAppTokens: Bool
    let logger: Logger
    let listening = Readiness()
    var description: String { "web server" }

    /// Connections still open this long after the shutdown began are closed regardless.
    static let drainDeadline: Duration = .seconds(5)

    init(
        settings: Settings, store: ChatStore, hostApp: HostAppTokenVerifier?, metrics: ChatMetrics,
        group: EventLoopGroup, logger: Logger
    ) throws {
        var httpConfiguration = HTTPServerConfiguration()
        httpConfiguration.maxWebSocketMessage = 1_000_000
        httpConfiguration.maxConnections = settings.effectiveMaxConnections
        httpConfiguration.headerTimeout = .milliseconds(Int64((settings.headerTimeout * 1000).rounded()))
        httpConfiguration.idleTimeout = .milliseconds(Int64((settings.idleTimeout * 1000).rounded()))
        httpConfiguration.listenBacklog = Int32(settings.listenBacklog)
        httpConfiguration.hostPolicy = HostPolicy(serverNames: settings.serverNames)
        httpConfiguration.trustedProxies = settings.trustedProxies
        // The JSON API answers in JSON even when the HTTP layer refuses the body.
        httpConfiguration.bodyTooLarge = { head in
            guard head.uri.hasPrefix("/api/") else { return .text(.payloadTooLarge, "request body too large\n") }
            return HTTPResponse(
                status: .payloadTooLarge, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                body: ByteBuffer(
                    string: #"{"ok":false,"error":{"code":"too_large","message":"the request body is over 1 MiB"}}"#))
        }
        let http = HTTPServer(configuration: httpConfiguration, group: group, logger: logger)
        logger.info(
            "accepting at most \(settings.effectiveMaxConnections) connections (file limit \(Settings.currentFileLimit()))"
        )
        let originPolicy = OriginPolicy(allowed: settings.allowedOrigins)
        var engineConfiguration = EngineConfiguration()
        // Sessions per address: the signed-in ones (also capped per socket at CONNECT) plus half-open ones.
        engineConfiguration.maxSessionsPerAddress = settings.maxConnectionsPerIP + settings.maxPendingConnectionsPerIP
        engineConfiguration.maxHalfOpenSessionsPerAddress = settings.maxPendingConnectionsPerIP
        engineConfiguration.maxHalfOpenSessions = settings.maxPendingConnections
        let engine = EngineServer(
            configuration: engineConfiguration, originPolicy: originPolicy, group: group, logger: logger)
        engine.install(on: http)
        let io = SocketIOServer(engine: engine, logger: logger)
        var limits = ChatServer.Limits()
        limits.messageBurst = settings.messageBurst
        limits.messageRate = settings.messageRate
        limits.maxConnectionsPerIP = settings.maxConnectionsPerIP
        let authenticator = Authenticator(store: store, hostApp: hostApp)
        let chat = try ChatServer(
            store: store, authenticator: authenticator, io: io, limits: limits, logger: logger,
            observer: metrics.chatObserver)
        // One bound on scrypt work for every way in: sign-in, setup, registration, invites, sign-in links.
        let passwordWork = PasswordWork(slots: 2, queueLimit: 32)
        let accounts = AccountRoutes(
            store: store, chat: chat, authenticator: authenticator, originPolicy: originPolicy,
            openRegistration: settings.openRegistration, logger: logger, passwordWork: passwordWork)
        accounts.install(on: http)
        // The admin page's actions reach connected clients as the CLI's do, without the socket:
        // the notify applies each change to the chat server directly.
        let operations = AdminOperations(
            store: store, notify: { message in ControlService.apply(message, to: chat) },
            hashPassword: { password in try await passwordWork.run { try PasswordHasher().hash(password) } })
        HealthRoute.install(on: http, store: store)
        let trustedProxies = settings.trustedProxies
        let metricsToken = settings.metricsToken
        http.route(.GET, "/metrics") { request in
            guard
                MetricsAccess.allows(
                    client: request.client, authorization: request.headers.first(name: "Authorization"),
                    trusted: trustedProxies, token: metricsToken)
            else { return .text(.notFound, "not found\n") }
            return HTTPResponse(
                status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                body: ByteBuffer(string: await metrics.exposition(engine: engine)))
        }
        #if FITCHAT_TEST_HOOKS
            if ProcessInfo.processInfo.environment["FITCHAT_TEST_HOOKS"] == "1" {
                TestHooks.install(on: http, group: group, store: store, logger: logger)
            }
        #endif
        let files = try StaticFiles(root: WebRoot.resolve(configured: settings.webRoot))
        PageRoutes.install(
            on: http, files: files, store: store, authenticator: authenticator,
            openRegistration: settings.openRegistration)
        InviteRoutes(operations: operations, accounts: accounts, files: files, logger: logger).install(on: http)
        AdminRoutes(
            operations: operations, authenticator: authenticator, originPolicy: originPolicy, files: files,
            settings: settings, logger: logger
        )
        .install(on: http)
        logger.info("serving the page from \(files.root)")

        self.http = http
        self.engine = engine
        self.chat = chat
        self.store = store
        self.listen = settings.listen
        self.hostAppTokens = hostApp != nil
        self.logger = logger
    }

    func run() async throws {
        try await startListening()
        listening.signal()
        try? await gracefulShutdown()
        logger.notice("stopping: no longer accepting connections")
        await http.stopAccepting()
        for session in engine.allSessions { session.close() }
        let left = await http.quiesce(deadline: Self.drainDeadline)
        if left > 0 { logger.warning("closed \(left) connection(s) that were still open after \(Self.drainDeadline)") }
        chat.stop()
    }

    /// Sockets passed by systemd come first; without them, bind `listen`.
    private func startListening() async throws {
        let tokens = ["host_app_tokens": Logger.MetadataValue(stringLiteral: hostAppTokens ? "accepted" : "off")]
        let passed = ListenFDs.http(ListenFDs.take())
        if passed.isEmpty {
            let address: SocketAddress
            do {
                address = try await http.bind(host: listen.host, port: listen.port)
            } catch let error as IOError {
                throw ListenError(error, address: listen)
            }
            logger.notice("listening on \(Self.url(of: address))", metadata: tokens)
            firstAdminHint(Self.url(of: address, toOpen: true))
        } else {
            let addresses = try await http.adopt(listeningFDs: passed)
            logger.notice(
                "serving sockets passed by systemd: \(addresses.map(\.description).joined(separator: ", "))",
                metadata: tokens)
            firstAdminHint(addresses.first.map { Self.url(of: $0, toOpen: true) } ?? "http://HOST:PORT/")
        }
    }

    /// While nobody has an account, the owner's next step: open the page and make the first admin.
    private func firstAdminHint(_ url: String) {
        guard (try? store.userCount()) == 0 else { return }
        logger.notice("open \(url) to create the first admin (no account exists yet)")
    }

    /// `http://127.0.0.1:8080/` rather than NIO's `[IPv4]127.0.0.1/127.0.0.1:8080`: what to open.
    /// With `toOpen`, a wildcard address becomes the loopback one: a browser cannot open 0.0.0.0.
    static func url(of address: SocketAddress, toOpen: Bool = false) -> String {
        guard var ip = address.ipAddress, let port = address.port else { return "\(address)" }
        if toOpen, ip == "0.0.0.0" { ip = "127.0.0.1" }
        if toOpen, ip == "::" { ip = "::1" }
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return "http://\(host):\(port)/"
    }
}
