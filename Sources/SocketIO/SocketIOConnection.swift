import EngineIO
import EngineIOProtocol
import Logging
import NIOCore
import SocketIOProtocol

/// The Socket.IO side of one Engine.IO session: its sockets (one per namespace), binary
/// reassembly, acks it is waiting for. All state lives on the session's event loop.
// @unchecked Sendable: every `var` is touched only on `session.eventLoop` (callbacks run there; others hop).
final class SocketIOConnection: @unchecked Sendable {
    unowned let server: SocketIOServer
    let session: EngineSession
    private var sockets: [String: Socket] = [:]
    /// Namespaces whose CONNECT is being decided, and whether the client asked to DISCONNECT
    /// meanwhile. Nothing else is kept for them: events before CONNECT succeeded are not accepted.
    private var connecting: [String: Bool] = [:]
    private var assembler: BinaryAssembler
    private var connectTimer: Scheduled<Void>?
    private var nextAckID: UInt64 = 0
    private var pendingAcks: [UInt64: (promise: EventLoopPromise<[JSONValue]>, timer: Scheduled<Void>)] = [:]
    private var closed = false
    private var eventLoop: EventLoop { session.eventLoop }

    init(server: SocketIOServer, session: EngineSession) {
        self.server = server
        self.session = session
        assembler = BinaryAssembler(limits: server.configuration.limits)
    }

    /// Called on the session's loop when the Engine.IO session opens.
    func start() {
        session.onMessage = { [self] payload in received(payload) }
        session.onClose = { [self] reason in transportClosed(reason) }
        connectTimer = eventLoop.scheduleTask(in: server.configuration.connectTimeout) { [weak self] in
            guard let self, self.sockets.isEmpty else { return }
            self.session.close()
        }
    }

    // MARK: Inbound

    private func received(_ payload: EnginePayload) {
        do {
            switch payload {
            case .text(let text):
                if assembler.isWaiting { throw SocketIODecodingError.unexpectedBinary }
                // Admission is decided on the header: a packet that will be dropped is never parsed.
                let header = try SocketIOPacket.header(text, limits: server.configuration.limits)
                guard admits(header, size: text.utf8.count) else { return }
                let (packet, attachments) = try SocketIOPacket.decode(text, header: header)
                if let complete = try assembler.start(packet, attachments: attachments) { handle(complete) }
            case .binary(let bytes):
                if let complete = try assembler.add(bytes) { handle(complete) }
            }
        } catch {
            // Malformed input ends the connection (the protocol's rule); the daemon carries on.
            server.logger.info("closing Socket.IO connection: \(error)", metadata: ["session": "\(session.logID)"])
            session.close()
        }
    }

    /// Whether a decoded packet may go on. Before its namespace's CONNECT succeeded a client is
    /// nobody: its events are dropped (as the reference server does) and a binary one ends the
    /// connection, so no attachment is ever assembled for an unauthenticated client; a CONNECT
    /// with an oversized auth payload is refused before it is held during authorization.
    private func admits(_ packet: SocketIOPacket.Header, size: Int) -> Bool {
        switch packet.type {
        case .connect:
            guard size <= server.configuration.maxConnectPacketBytes else {
                send(
                    SocketIOPacket(
                        .connectError, namespace: packet.namespace, data: ["message": "auth payload too large"]))
                return false
            }
            return true
        case .event, .binaryEvent, .ack, .binaryAck:
            if sockets[packet.namespace] != nil { return true }
            if packet.attachments > 0 {
                server.logger.info(
                    "closing Socket.IO connection: binary packet before CONNECT",
                    metadata: ["session": "\(session.logID)"])
                session.close()
            }
            return false
        case .disconnect, .connectError:
            return true
        }
    }

    private func handle(_ packet: SocketIOPacket) {
        if packet.type == .connect { return connect(packet) }
        if packet.type == .disconnect, connecting[packet.namespace] != nil {
            connecting[packet.namespace] = true
            return
        }
        switch packet.type {
        case .disconnect:
            if let socket = sockets[packet.namespace] {
                disconnect(socket, notifyClient: false, reason: "client namespace disconnect")
            }
        case .event, .binaryEvent:
            guard let socket = sockets[packet.namespace], let (name, args) = packet.event else { return }
            var ack: Acknowledgement?
            if let id = packet.id {
                let session = self.session
                let namespace = packet.namespace
                ack = Acknowledgement { args in
                    session.send(Namespace.outbound(.ack(args, id: id, namespace: namespace)))
                }
            }
            socket.namespace.dispatch(socket, name, args, ack: ack)
        case .ack, .binaryAck:
            guard let id = packet.id, let pending = pendingAcks.removeValue(forKey: id) else { return }
            pending.timer.cancel()
            pending.promise.succeed(packet.data?.arrayValue ?? [])
        case .connectError, .connect:
            session.close()
        }
    }

    private func connect(_ packet: SocketIOPacket) {
        let name = packet.namespace
        guard let namespace = server.existingNamespace(name) else {
            send(SocketIOPacket(.connectError, namespace: name, data: ["message": "Invalid namespace"]))
            return
        }
        guard sockets[name] == nil, connecting[name] == nil else { return }
        connecting[name] = false
        let request = ConnectRequest(
            namespace: name, auth: packet.data, session: session, headers: session.connectHeaders)
        let promise = eventLoop.makePromise(of: ConnectDecision.self)
        promise.completeWithTask { await namespace.decide(request) }
        promise.futureResult.whenSuccess { [self] decision in
            let disconnectRequested = connecting.removeValue(forKey: name) ?? false
            if connecting.isEmpty { connecting = [:] }  // an emptied dictionary keeps its storage
            guard !closed else {
                if case .accept(let data) = decision { namespace.abandoned(data) }
                return
            }
            switch decision {
            case .refuse(let reason):
                send(SocketIOPacket(.connectError, namespace: name, data: reason))
            case .accept(let data):
                connectTimer?.cancel()
                session.markAdmitted()
                let socket = Socket(
                    id: RandomID.make(characters: 20), namespace: namespace, connection: self, data: data,
                    auth: server.configuration.keepsAuth ? packet.data : nil)
                sockets[name] = socket
                send(SocketIOPacket(.connect, namespace: name, data: ["sid": .string(socket.id)]))
                namespace.added(socket)
                if disconnectRequested {
                    disconnect(socket, notifyClient: false, reason: "client namespace disconnect")
                }
            }
        }
    }

    // MARK: Outbound

    private func send(_ packet: SocketIOPacket) {
        session.send(Namespace.outbound(packet))
    }

    func emitWithAck(_ socket: Socket, _ event: String, _ args: [JSONValue], timeout: TimeAmount) async throws
        -> [JSONValue]
    {
        try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<[JSONValue]> in
            guard !closed else { return eventLoop.makeFailedFuture(SocketDisconnected()) }
            let id = nextAckID
            nextAckID += 1
            let promise = eventLoop.makePromise(of: [JSONValue].self)
            let timer = eventLoop.scheduleTask(in: timeout) { [weak self] () -> Void in
                guard let self else { return }
                self.pendingAcks.removeValue(forKey: id)?.promise.fail(AckTimeout())
            }
            pendingAcks[id] = (promise, timer)
            send(.event(event, args, namespace: socket.namespace.name, id: id))
            return promise.futureResult
        }.get()
    }

    /// Removes a socket from its namespace; tells the client when the server initiated it.
    func disconnect(_ socket: Socket, notifyClient: Bool, reason: String) {
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.disconnect(socket, notifyClient: notifyClient, reason: reason) }
            return
        }
        guard socket.markDisconnected() else { return }
        sockets.removeValue(forKey: socket.namespace.name)
        if notifyClient, !closed { send(SocketIOPacket(.disconnect, namespace: socket.namespace.name)) }
        socket.namespace.removed(socket, reason: reason)
    }

    private func transportClosed(_ reason: EngineCloseReason) {
        closed = true
        connectTimer?.cancel()
        let text: String =
            switch reason {
            case .clientClosed: "transport close"
            case .pingTimeout: "ping timeout"
            case .serverClosed: "server shutting down"
            case .transportError: "transport error"
            case .queueOverflow: "client too slow"
            }
        for socket in sockets.values where socket.markDisconnected() {
            socket.namespace.removed(socket, reason: text)
        }
        sockets.removeAll()
        for (_, pending) in pendingAcks {
            pending.timer.cancel()
            pending.promise.fail(SocketDisconnected())
        }
        pendingAcks.removeAll()
    }
}
