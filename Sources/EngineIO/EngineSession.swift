import EngineIOProtocol
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One Engine.IO session. Its state lives on `eventLoop`; public methods may be called from
/// anywhere and hop there. The pure `EngineSessionMachine` decides; this class does the I/O.
// @unchecked Sendable: every `var` is touched only on `eventLoop`; public methods hop there (`onLoop`, `submit`).
public final class EngineSession: @unchecked Sendable {
    /// The session id: it lets whoever holds it poll and post as this client, so it is a secret.
    public let sid: String
    /// What logs name the session by: a number of this process, never the sid.
    public let logID: String
    public let eventLoop: EventLoop
    /// The headers of the request that opened the session that an application reads while it
    /// decides a CONNECT (`keptHeaders`: cookies, Origin, forwarding), until the session is
    /// admitted. Kept for the connection's whole life they cost a few hundred bytes each.
    private var handshakeHeaders: HTTPHeaders

    public static let keptHeaders: Set<String> = [
        "cookie", "origin", "host", "user-agent", "authorization", "x-forwarded-for", "x-forwarded-proto",
        "x-real-ip", "forwarded",
    ]
    public let remoteAddress: SocketAddress?
    /// Who opened the session: the peer, or the client a trusted proxy named (per-address limits use `client.address`).
    public let client: ClientAddress

    /// Called on `eventLoop` for each message from the client.
    public var onMessage: ((EnginePayload) -> Void)?
    /// Called once on `eventLoop` when the session ends.
    public var onClose: ((EngineCloseReason) -> Void)?

    private var machine: EngineSessionMachine
    private var pendingPoll: EventLoopPromise<[EnginePacket]>?
    private var webSocket: EngineWebSocketHandler?
    private var probe: EngineWebSocketHandler?
    private let server: EngineServer
    /// Its loop's heartbeat driver, looked up once.
    private let heartbeats: LoopHeartbeats

    private static let serials = NIOLockedValueBox<UInt64>(0)

    init(
        server: EngineServer, transport: EngineTransport, eventLoop: EventLoop, handshake: HTTPRequestHead,
        remoteAddress: SocketAddress?, client: ClientAddress? = nil
    ) {
        self.server = server
        sid = RandomID.session()
        let serial = EngineSession.serials.withLockedValue { serial in
            serial += 1
            return serial
        }
        logID = "s\(serial)"
        self.eventLoop = eventLoop
        heartbeats = server.services(of: eventLoop).heartbeats
        handshakeHeaders = HTTPHeaders(handshake.headers.filter { Self.keptHeaders.contains($0.name.lowercased()) })
        self.remoteAddress = remoteAddress
        self.client = client ?? .direct(remoteAddress?.ipAddress)
        machine = EngineSessionMachine(transport: transport, configuration: server.configuration, now: .now())
    }

    public var transport: EngineTransport {
        eventLoop.preconditionInEventLoop()
        return machine.transport
    }

    public var isClosed: Bool {
        eventLoop.preconditionInEventLoop()
        return machine.isClosed
    }

    // MARK: Sending

    /// Sends messages (each a text or binary Engine.IO message).
    public func send(_ payloads: [EnginePayload]) {
        send(OutboundMessage(payloads.map { EnginePacket(.message, $0) }))
    }

    /// Sends a message encoded once for many sessions.
    public func send(_ message: OutboundMessage) {
        onLoop { $0.sendOnLoop(message) }
    }

    /// Sends one message to many sessions with one task per event loop, not one per recipient.
    public static func send(_ message: OutboundMessage, to sessions: [EngineSession]) {
        var byLoop: [ObjectIdentifier: [EngineSession]] = [:]
        for session in sessions { byLoop[ObjectIdentifier(session.eventLoop), default: []].append(session) }
        for group in byLoop.values {
            let eventLoop = group[0].eventLoop
            if eventLoop.inEventLoop {
                for session in group { session.sendOnLoop(message) }
            } else {
                eventLoop.execute { for session in group { session.sendOnLoop(message) } }
            }
        }
    }

    private func sendOnLoop(_ message: OutboundMessage) {
        eventLoop.assertInEventLoop()
        if machine.transport == .websocket, !machine.isClosed, let webSocket {
            // An upgraded session's WebSocket may live on another loop than the session: `write` hops.
            webSocket.write(message.webSocketFrames)
        } else {
            perform(machine.send(message.packets))
        }
    }

    /// The layer above accepted this client (signed in): the session no longer counts against its
    /// address's half-open sessions.
    public func markAdmitted() {
        server.admit(self)
        onLoop { $0.handshakeHeaders = [:] }
    }

    /// The handshake's `keptHeaders` while the session is not yet admitted; empty after.
    public var connectHeaders: HTTPHeaders {
        eventLoop.preconditionInEventLoop()
        return handshakeHeaders
    }

    /// Ends the session from the server side.
    public func close() {
        onLoop { $0.perform($0.machine.close(.serverClosed)) }
    }

    // MARK: Driven by the server

    func start() {
        eventLoop.preconditionInEventLoop()
        heartbeats.add(self)
    }

    /// Whether the heartbeat has something to do (asked by the loop's `LoopHeartbeats`).
    func heartbeatDue(now: NIODeadline) -> Bool {
        !machine.isClosed && machine.heartbeat.nextWakeup <= now
    }

    func beat(now: NIODeadline) {
        perform(machine.tick(now: now))
    }

    func poll(ended request: EventLoopFuture<RequestEnd>?) -> EventLoopFuture<[EnginePacket]> {
        eventLoop.flatSubmit {
            let actions = self.machine.pollArrived()
            if case .refuse(let error)? = actions.first {
                self.perform(Array(actions.dropFirst()))
                return self.eventLoop.makeFailedFuture(error)
            }
            let promise = self.eventLoop.makePromise(of: [EnginePacket].self)
            self.pendingPoll = promise
            self.perform(actions)
            request?.whenSuccess { [weak self] end in
                guard let self, end == .connectionClosed else { return }
                self.eventLoop.execute {
                    guard let pending = self.pendingPoll, pending.futureResult === promise.futureResult else { return }
                    self.pendingPoll = nil
                    self.machine.pollAbandoned()
                    promise.succeed([])
                }
            }
            return promise.futureResult
        }
    }

    func post(_ packets: [EnginePacket]) -> EventLoopFuture<Void> {
        eventLoop.submit {
            let actions = self.machine.posted(packets, now: .now())
            if case .refuse(let error) = actions.first {
                self.perform(Array(actions.dropFirst()))
                throw error
            }
            self.perform(actions)
        }
    }

    /// A WebSocket connected to an existing polling session (the upgrade begins).
    func attachProbe(_ socket: EngineWebSocketHandler) {
        onLoop { session in
            guard !session.machine.isClosed, session.machine.transport == .polling, session.probe == nil else {
                socket.close(code: 1008)
                return
            }
            session.probe = socket
        }
    }

    /// A WebSocket that opened the session itself (websocket-only clients).
    func attachWebSocket(_ socket: EngineWebSocketHandler) {
        eventLoop.preconditionInEventLoop()
        webSocket = socket
    }

    func webSocketReceived(_ packet: EnginePacket, from socket: EngineWebSocketHandler) {
        onLoop { session in
            guard socket === session.webSocket || socket === session.probe else { return }
            let wasPolling = session.machine.transport == .polling
            let actions = session.machine.webSocketReceived(packet, now: .now())
            if wasPolling, session.machine.transport == .websocket {
                session.webSocket = session.probe
                session.probe = nil
            }
            session.perform(actions, replyingOn: socket)
        }
    }

    func webSocketClosed(_ socket: EngineWebSocketHandler) {
        onLoop { session in
            if socket === session.probe {
                session.probe = nil
                session.perform(session.machine.webSocketClosed())
            } else if socket === session.webSocket {
                session.perform(session.machine.webSocketClosed())
            }
        }
    }

    // MARK: Carrying out the machine's actions

    private func perform(_ actions: [EngineSessionMachine.Action], replyingOn socket: EngineWebSocketHandler? = nil) {
        for action in actions {
            switch action {
            case .answerPoll(let packets):
                pendingPoll?.succeed(packets)
                pendingPoll = nil
            case .refuse:
                break
            case .sendOnWebSocket(let packets):
                guard let target = socket ?? webSocket else { continue }
                target.write(OutboundMessage(packets).webSocketFrames)
            case .deliver(let payload):
                onMessage?(payload)
            case .close(let reason):
                finish(reason)
            }
        }
    }

    private func finish(_ reason: EngineCloseReason) {
        heartbeats.remove(self)
        pendingPoll?.succeed([EnginePacket(.close)])
        pendingPoll = nil
        switch reason {
        case .clientClosed: webSocket?.close(code: 1000)
        case .queueOverflow: webSocket?.abort()
        default: webSocket?.close(code: 1000, first: OutboundMessage([EnginePacket(.close)]).webSocketFrames)
        }
        probe?.close(code: 1000)
        webSocket = nil
        probe = nil
        server.remove(self)
        let onClose = self.onClose
        self.onClose = nil
        onMessage = nil
        onClose?(reason)
    }

    /// The outbound queue of a WebSocket passed its limit: the client stopped reading.
    func webSocketOverflowed() {
        onLoop { $0.perform($0.machine.close(.queueOverflow)) }
    }

    private func onLoop(_ body: @escaping @Sendable (EngineSession) -> Void) {
        if eventLoop.inEventLoop { body(self) } else { eventLoop.execute { body(self) } }
    }
}
