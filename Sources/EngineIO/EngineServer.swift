import EngineIOProtocol
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Engine.IO v4 over the HTTP server: handshakes, long-polling, WebSocket and the upgrade between
/// them. Sessions are handed to `onSession` (the Socket.IO layer) as they open.
public final class EngineServer: Sendable {
    public let configuration: EngineConfiguration
    public let path: String
    public let originPolicy: OriginPolicy
    let group: EventLoopGroup
    let logger: Logger
    private let registry: NIOLockedValueBox<Registry>
    /// When the server-wide refusal was last logged, and how many came since.
    private let serverWideRefusals = NIOLockedValueBox<(lastLine: NIODeadline?, count: Int)>((nil, 0))
    /// The handler sits in a struct field, never directly in the generic box: a closure stored as
    /// the box's `Value` is kept reabstracted, and every `inout` read of it (`withLockedValue { $0 }`)
    /// wrote back a new pair of reabstraction thunks around the old ones — one pair per session,
    /// until a handshake walked a chain of 100,000 thunks and overflowed the stack.
    private let sessionHandler = NIOLockedValueBox(SessionHandler())
    /// Per event loop, made on first use: the flusher of its WebSockets, the heartbeat of its sessions.
    private let loops = NIOLockedValueBox<[ObjectIdentifier: LoopServices]>([:])

    struct LoopServices {
        let flusher: LoopFlusher
        let heartbeats: LoopHeartbeats
    }

    private struct SessionHandler {
        var call: (@Sendable (EngineSession) -> Void)?
    }

    public init(
        configuration: EngineConfiguration = .init(), path: String = "/socket.io/",
        originPolicy: OriginPolicy = .init(),
        group: EventLoopGroup, logger: Logger
    ) {
        self.configuration = configuration
        self.path = path
        self.originPolicy = originPolicy
        self.group = group
        self.logger = logger
        registry = NIOLockedValueBox(
            Registry(
                admission: SessionAdmission(
                    maxPerAddress: configuration.maxSessionsPerAddress,
                    maxHalfOpenPerAddress: configuration.maxHalfOpenSessionsPerAddress,
                    maxHalfOpenInAll: configuration.maxHalfOpenSessions)))
    }

    /// Open sessions, and how many each address holds (checked and counted under one lock).
    private struct Registry {
        var sessions: [String: (session: EngineSession, address: String, admitted: Bool)] = [:]
        var admission: SessionAdmission
    }

    func services(of eventLoop: EventLoop) -> LoopServices {
        loops.withLockedValue { all in
            if let existing = all[ObjectIdentifier(eventLoop)] { return existing }
            let made = LoopServices(
                flusher: LoopFlusher(eventLoop: eventLoop),
                heartbeats: LoopHeartbeats(eventLoop: eventLoop, configuration: configuration))
            all[ObjectIdentifier(eventLoop)] = made
            return made
        }
    }

    /// Called on the session's event loop for each new session, before any message arrives.
    public func onSession(_ handler: @escaping @Sendable (EngineSession) -> Void) {
        sessionHandler.withLockedValue { $0.call = handler }
    }

    /// The handler as `announce` reads it.
    var currentSessionHandler: (@Sendable (EngineSession) -> Void)? {
        sessionHandler.withLockedValue { $0.call }
    }

    public var sessionCount: Int { registry.withLockedValue { $0.sessions.count } }

    /// Every open session (for a graceful shutdown).
    public var allSessions: [EngineSession] { registry.withLockedValue { $0.sessions.values.map(\.session) } }

    /// Sessions open from `address`, and how many of them are still half-open.
    public func sessionCounts(from address: String) -> SessionAdmission.Counts {
        registry.withLockedValue { $0.admission.counts(address) }
    }

    /// Open sessions by current transport (for metrics).
    public func sessionCountsByTransport() async -> [String: Int] {
        var counts: [String: Int] = [:]
        for session in allSessions {
            if let transport = try? await session.eventLoop.submit({ session.isClosed ? nil : session.transport }).get()
            {
                counts[transport.rawValue, default: 0] += 1
            }
        }
        return counts
    }

    /// Adds the polling route and the WebSocket endpoint to `http`.
    public func install(on http: HTTPServer) {
        http.route(nil, path, prefix: false) { [self] request in await self.handle(request) }
        http.webSocket(
            WebSocketRoute(
                pathPrefix: path,
                accepts: { [self] head, client in self.acceptsWebSocket(head, client: client) },
                upgraded: { [self] channel, head, client in self.upgraded(channel: channel, head: head, client: client)
                }
            ))
    }

    func remove(_ session: EngineSession) {
        registry.withLockedValue { registry in
            guard let entry = registry.sessions.removeValue(forKey: session.sid) else { return }
            registry.admission.close(entry.address, wasAdmitted: entry.admitted)
        }
    }

    /// The layer above accepted the session (a namespace CONNECT succeeded): it stops counting
    /// as half-open.
    func admit(_ session: EngineSession) {
        registry.withLockedValue { registry in
            guard let entry = registry.sessions[session.sid], !entry.admitted else { return }
            registry.sessions[session.sid]?.admitted = true
            registry.admission.admit(entry.address)
        }
    }

    private func session(_ sid: String) -> EngineSession? {
        registry.withLockedValue { $0.sessions[sid]?.session }
    }

    /// A new session, unless its address already holds as many as it may.
    private func open(
        transport: EngineTransport, eventLoop: EventLoop, head: HTTPRequestHead, remote: SocketAddress?,
        client: ClientAddress
    ) -> Result<EngineSession, SessionAdmission.Refusal> {
        let address = client.limitKey  // the admission's counts are per limit key (an IPv6 /64)
        let session = EngineSession(
            server: self, transport: transport, eventLoop: eventLoop, handshake: head, remoteAddress: remote,
            client: client)
        return registry.withLockedValue { registry in
            if let refusal = registry.admission.open(address) { return .failure(refusal) }
            registry.sessions[session.sid] = (session, address, false)
            return .success(session)
        }
    }

    private func logRefusal(_ refusal: SessionAdmission.Refusal, client: ClientAddress) {
        var metadata: Logger.Metadata = ["remote": "\(client.address)", "reason": "\(refusal)"]
        if client.forwarded { metadata["proxy"] = "\(client.peer)" }
        guard refusal == .tooManyHalfOpenSessionsInAll else {
            logger.warning("session refused: too many from one address", metadata: metadata)
            return
        }
        // The server-wide cap is met by many addresses at once: a line per refusal would be a flood.
        let now = NIODeadline.now()
        let refusedSinceLastLine = serverWideRefusals.withLockedValue { state -> Int? in
            state.count += 1
            if let last = state.lastLine, now - last < .seconds(10) { return nil }
            defer { state = (now, 0) }
            return state.count
        }
        guard let refusedSinceLastLine else { return }
        metadata["refused"] = "\(refusedSinceLastLine)"
        metadata["limit"] = "\(configuration.maxHalfOpenSessions)"
        logger.warning("sessions refused: too many not signed in from all addresses together", metadata: metadata)
    }

    /// Hands a new session to the layer above, on its loop, then starts its heartbeat.
    private func announce(_ session: EngineSession) {
        session.eventLoop.preconditionInEventLoop()
        currentSessionHandler?(session)
        session.start()
    }

    // MARK: Polling (and refusals of WebSocket requests the upgrader declined)

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let classified = EngineRequest.classify(
            method: "\(request.method)", query: request.query,
            isWebSocketUpgrade: request.headers.first(name: "Upgrade")?.lowercased() == "websocket",
            configuration: configuration)
        guard originPolicy.allows(request.headers, client: request.client) else { return refusal(.forbidden) }
        switch classified {
        case .failure(let error):
            return refusal(error)
        case .success(.handshake(.websocket)), .success(.upgrade):
            // The upgrader declined: say why.
            if case .success(.upgrade(let sid)) = classified, session(sid) == nil { return refusal(.unknownSession) }
            return refusal(.badRequest)
        case .success(.handshake(.polling)):
            let loop = group.next()
            let session: EngineSession
            switch open(
                transport: .polling, eventLoop: loop, head: request.head, remote: request.remoteAddress,
                client: request.client)
            {
            case .success(let opened): session = opened
            case .failure(let refusal):
                logRefusal(refusal, client: request.client)
                return refusal == .tooManyHalfOpenSessionsInAll ? serverBusy : tooManySessions
            }
            try? await loop.submit { self.announce(session) }.get()
            let handshake = Handshake(sid: session.sid, transport: .polling, configuration: configuration)
            return payload(PollingPayload.encode([handshake.openPacket]))
        case .success(.poll(let sid)):
            guard let session = session(sid) else { return refusal(.unknownSession) }
            do {
                let packets = try await session.poll(ended: request.ended).get()
                return payload(PollingPayload.encode(packets))
            } catch let error as EngineError {
                return refusal(error)
            } catch {
                return refusal(.badRequest)
            }
        case .success(.post(let sid)):
            guard let session = session(sid) else { return refusal(.unknownSession) }
            let body = request.body.map { String(buffer: $0) } ?? ""
            guard body.utf8.count <= configuration.maxPayload else {
                session.close()
                return .text(.payloadTooLarge, "payload too large\n")
            }
            do {
                let packets = try PollingPayload.decode(body)
                try await session.post(packets).get()
                return .text(.ok, "ok")
            } catch {
                session.close()
                return refusal(.badRequest)
            }
        }
    }

    private var serverBusy: HTTPResponse {
        HTTPResponse(
            status: .serviceUnavailable, headers: ["Content-Type": "application/json", "Retry-After": "5"],
            body: ByteBuffer(string: #"{"code":3,"message":"Too many sessions waiting to sign in; try again shortly"}"#)
        )
    }

    private var tooManySessions: HTTPResponse {
        HTTPResponse(
            status: .tooManyRequests, headers: ["Content-Type": "application/json"],
            body: ByteBuffer(string: #"{"code":3,"message":"Too many sessions from this address"}"#))
    }

    private func refusal(_ error: EngineError) -> HTTPResponse {
        HTTPResponse(
            status: HTTPResponseStatus(statusCode: error.httpStatus),
            headers: ["Content-Type": "application/json"], body: ByteBuffer(string: error.json))
    }

    private func payload(_ text: String) -> HTTPResponse {
        HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/plain; charset=UTF-8", "Cache-Control": "no-store"],
            body: ByteBuffer(string: text))
    }

    // MARK: WebSocket

    private func acceptsWebSocket(_ head: HTTPRequestHead, client: ClientAddress) -> Bool {
        guard originPolicy.allows(head.headers, client: client) else { return false }
        let query = HTTPRequest(head: head).query
        switch EngineRequest.classify(
            method: "\(head.method)", query: query, isWebSocketUpgrade: true, configuration: configuration)
        {
        case .success(.handshake(.websocket)): return head.method == .GET
        case .success(.upgrade(let sid)): return head.method == .GET && session(sid) != nil
        default: return false
        }
    }

    private func upgraded(channel: Channel, head: HTTPRequestHead, client: ClientAddress) -> EventLoopFuture<Void> {
        let handler = EngineWebSocketHandler(flusher: services(of: channel.eventLoop).flusher)
        let query = HTTPRequest(head: head).query
        return channel.eventLoop.makeCompletedFuture {
            // Unwritable past the queue limit: how the handler tells a client that stopped reading.
            try channel.syncOptions?.setOption(
                ChannelOptions.writeBufferWaterMark,
                value: .init(low: self.configuration.maxQueuedBytes / 2, high: self.configuration.maxQueuedBytes))
            try channel.pipeline.syncOperations.addHandler(handler.raw, position: .first)
            try channel.pipeline.syncOperations.addHandler(
                NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                    maxAccumulatedFrameSize: self.configuration.maxPayload))
            try channel.pipeline.syncOperations.addHandler(handler)
            if let sid = query["sid"] {
                guard let session = self.session(sid) else {
                    channel.close(promise: nil)
                    return
                }
                handler.bind(session)
                session.attachProbe(handler)
            } else {
                let session: EngineSession
                switch self.open(
                    transport: .websocket, eventLoop: channel.eventLoop, head: head, remote: channel.remoteAddress,
                    client: client)
                {
                case .success(let opened): session = opened
                case .failure(let refusal):
                    self.logRefusal(refusal, client: client)
                    // 1013 "try again later": the client may reconnect once its other sessions end.
                    handler.raw.context?.writeAndFlush(
                        NIOAny(
                            WebSocketFrameBytes.close(
                                code: 1013,
                                reason: refusal == .tooManyHalfOpenSessionsInAll ? "server busy" : "too many sessions"))
                    )
                    .whenComplete { _ in channel.close(promise: nil) }
                    return
                }
                handler.bind(session)
                session.attachWebSocket(handler)
                let handshake = Handshake(sid: session.sid, transport: .websocket, configuration: self.configuration)
                handler.write(OutboundMessage([handshake.openPacket]).webSocketFrames)
                self.announce(session)
            }
        }
    }
}
