import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The HTTP/1.1 server: the only module that owns sockets. It listens on addresses it binds or
/// on sockets systemd passed in, and answers requests through the routes the layers above add.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    public let group: EventLoopGroup
    let logger: Logger
    let router = Router()
    private let webSocketRoutes = NIOLockedValueBox<[WebSocketRoute]>([])
    private let listeners = NIOLockedValueBox<[Channel]>([])
    /// One cap shared by every listener.
    public let connections: ConnectionLimiter

    public init(configuration: HTTPServerConfiguration = .init(), group: EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        connections = ConnectionLimiter(maxConnections: configuration.maxConnections ?? .max)
    }

    /// Answers `method` (nil: any) on `path`, or on every path under it with `prefix`.
    public func route(_ method: HTTPMethod?, _ path: String, prefix: Bool = false, handler: @escaping HTTPHandler) {
        router.add(.init(method: method, path: path, prefix: prefix, handler: handler))
    }

    /// Adds a WebSocket endpoint (checked before the HTTP routes for upgrade requests).
    public func webSocket(_ route: WebSocketRoute) {
        webSocketRoutes.withLockedValue { $0.append(route) }
    }

    /// Binds and listens on host:port (port 0: the system chooses); returns the bound address.
    @discardableResult
    public func bind(host: String, port: Int) async throws -> SocketAddress {
        let channel = try await bootstrap().bind(host: host, port: port).get()
        listeners.withLockedValue { $0.append(channel) }
        return channel.localAddress!
    }

    /// Listens on already-bound, listening sockets (systemd socket activation); returns their addresses.
    @discardableResult
    public func adopt(listeningFDs fds: [CInt]) async throws -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for fd in fds {
            let channel = try await bootstrap().withBoundSocket(fd).get()
            // NIO called listen() on the inherited socket with its default backlog (128), which
            // replaced the socket unit's Backlog=: listen again with ours (Linux updates it in place).
            guard listen(fd, configuration.listenBacklog) == 0 else {
                let code = errno
                try? await channel.close()
                throw IOError(errnoCode: code, reason: "listen on the inherited socket")
            }
            listeners.withLockedValue { $0.append(channel) }
            if let address = channel.localAddress { addresses.append(address) }
        }
        return addresses
    }

    /// Stops accepting new connections; connections already open are served on.
    public func stopAccepting() async {
        let channels = listeners.withLockedValue { current in
            defer { current.removeAll() }
            return current
        }
        for channel in channels { try? await channel.close() }
    }

    private func bootstrap() -> ServerBootstrap {
        let router = self.router
        let configuration = self.configuration
        let logger = self.logger
        let limiter = connections
        return ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionLimitHandler(limiter: limiter))
                }
            }
            .serverChannelOption(.backlog, value: configuration.listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)  // IPPROTO_TCP; .socketOption would set SO_DEBUG
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Each connection keeps its receive buffer between reads: start it small (NIO's
            // default is 2 KB), so ten thousand idle WebSockets do not hold 20 MB of it; it grows
            // on its own for a connection that reads more.
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)
            )
            .childChannelInitializer { [webSocketRoutes] channel in
                channel.eventLoop.makeCompletedFuture {
                    let requestHandler = HTTPRequestHandler(
                        router: router, configuration: configuration, logger: logger, limiter: limiter)
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: configuration.maxWebSocketMessage,
                        automaticErrorHandling: true,
                        shouldUpgrade: { channel, head in
                            // A refused Host falls through to the HTTP handler, which answers 421.
                            let client = ClientAddress.resolve(
                                peer: channel.remoteAddress?.ipAddress, headers: head.headers,
                                trusted: configuration.trustedProxies)
                            let accepted =
                                configuration.hostPolicy.allows(head.headers, client: client)
                                && webSocketRoutes.withLockedValue { $0 }.contains { route in
                                    head.uri.hasPrefix(route.pathPrefix) && route.accepts(head, client)
                                }
                            return channel.eventLoop.makeSucceededFuture(accepted ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, head in
                            let client = ClientAddress.resolve(
                                peer: channel.remoteAddress?.ipAddress, headers: head.headers,
                                trusted: configuration.trustedProxies)
                            guard
                                let route = webSocketRoutes.withLockedValue({ $0 }).first(where: {
                                    head.uri.hasPrefix($0.pathPrefix) && $0.accepts(head, client)
                                })
                            else {
                                return channel.close()
                            }
                            return route.upgraded(channel, head, client)
                        }
                    )
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                // The WebSocket handlers take over: the request handler and idle timer go.
                                limiter.busy(context.channel)
                                context.pipeline.removeHandler(name: "request", promise: nil)
                                context.pipeline.removeHandler(name: "idle", promise: nil)
                                context.pipeline.removeHandler(name: "head-deadline", promise: nil)
                                context.pipeline.removeHandler(name: "head-marker", promise: nil)
                                context.pipeline.removeHandler(name: "pipeline-depth", promise: nil)
                            }
                        ),
                        withErrorHandling: true,
                        withOutboundHeaderValidation: true,
                        withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: configuration.decoderLimits
                    )
                    try channel.pipeline.syncOperations.addHeadDeadline(timeout: configuration.headerTimeout)
                    let decoder = try channel.pipeline.syncOperations.handler(
                        type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                    try channel.pipeline.syncOperations.addHandler(
                        PipelineDepthLimit(), name: "pipeline-depth", position: .after(decoder))
                    try channel.pipeline.syncOperations.addHandler(
                        IdleStateHandler(readTimeout: configuration.idleTimeout), name: "idle")
                    try channel.pipeline.syncOperations.addHandler(requestHandler, name: "request")
                }
            }
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// The head deadline sees the bytes before the decoder; the marker, right after the decoder,
    /// tells it when a head and a request's end were read. Needs the HTTP decoder in place.
    /// Package-visible: the fuzz target builds its pipeline with it.
    package func addHeadDeadline(timeout: TimeAmount) throws {
        let decoder = try handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try addHandler(HeadDeadlineMarker(), name: "head-marker", position: .after(decoder))
        try addHandler(HeadDeadlineHandler(timeout: timeout), name: "head-deadline", position: .first)
    }
}
