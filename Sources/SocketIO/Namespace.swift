import EngineIO
import EngineIOProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SocketIOProtocol

/// What the application says to a CONNECT: accept (with data to keep on the socket) or refuse.
public enum ConnectDecision: Sendable {
    case accept(Sendable?)
    case refuse(JSONValue)
}

/// A CONNECT as the application sees it.
public struct ConnectRequest: Sendable {
    public var namespace: String
    public var auth: JSONValue?
    public var session: EngineSession
    /// The headers of the request that opened the session (cookies, Origin, forwarding).
    public var headers: HTTPHeaders
}

/// A Socket.IO namespace: its connect hook, event handlers and rooms.
public final class Namespace: Sendable {
    public typealias EventHandler = @Sendable (Socket, [JSONValue], Acknowledgement?) -> Void
    public typealias AnyEventHandler = @Sendable (Socket, String, [JSONValue], Acknowledgement?) -> Void

    public let name: String
    unowned let server: SocketIOServer
    private let state = NIOLockedValueBox(State())

    struct State {
        var authorize: (@Sendable (ConnectRequest) async -> ConnectDecision)?
        var onConnect: (@Sendable (Socket) -> Void)?
        var onDisconnect: (@Sendable (Socket, String) -> Void)?
        var onAbandoned: (@Sendable (Sendable?) -> Void)?
        var handlers: [String: EventHandler] = [:]
        var onAnyEvent: AnyEventHandler?
        var sockets: [String: Socket] = [:]
        var rooms: [String: [String: Socket]] = [:]
    }

    init(name: String, server: SocketIOServer) {
        self.name = name
        self.server = server
    }

    // MARK: Application hooks

    /// Decides each CONNECT (default: accept everyone).
    public func authorize(_ hook: @escaping @Sendable (ConnectRequest) async -> ConnectDecision) {
        state.withLockedValue { $0.authorize = hook }
    }

    public func onConnect(_ handler: @escaping @Sendable (Socket) -> Void) {
        state.withLockedValue { $0.onConnect = handler }
    }

    /// Called once per socket with the reason (`client namespace disconnect`, `transport close`, …).
    public func onDisconnect(_ handler: @escaping @Sendable (Socket, String) -> Void) {
        state.withLockedValue { $0.onDisconnect = handler }
    }

    /// Called with what `authorize` attached when an accepted CONNECT finds its transport already
    /// closed (no socket is made): whatever the hook reserved for it can be released.
    public func onAbandoned(_ handler: @escaping @Sendable (Sendable?) -> Void) {
        state.withLockedValue { $0.onAbandoned = handler }
    }

    public func on(_ event: String, _ handler: @escaping EventHandler) {
        state.withLockedValue { $0.handlers[event] = handler }
    }

    /// Handles events that have no handler of their own.
    public func onAny(_ handler: @escaping AnyEventHandler) {
        state.withLockedValue { $0.onAnyEvent = handler }
    }

    // MARK: Sockets and rooms

    public var sockets: [Socket] { state.withLockedValue { Array($0.sockets.values) } }

    /// The connected socket with this id, if any.
    public func socket(id: String) -> Socket? { state.withLockedValue { $0.sockets[id] } }

    public func sockets(in room: String) -> [Socket] {
        state.withLockedValue { $0.rooms[room].map { Array($0.values) } ?? [] }
    }

    func join(_ socket: Socket, _ room: String) {
        state.withLockedValue { $0.rooms[room, default: [:]][socket.id] = socket }
    }

    func leave(_ socket: Socket, _ room: String) {
        state.withLockedValue { state in
            state.rooms[room]?.removeValue(forKey: socket.id)
            if state.rooms[room]?.isEmpty == true { state.rooms.removeValue(forKey: room) }
        }
    }

    /// Emits to every socket in `room` (every socket of the namespace when nil), except `except`.
    /// The packet and its frames are encoded once and the same bytes go to every recipient.
    @discardableResult
    public func emit(to room: String?, except: Socket? = nil, _ event: String, _ args: [JSONValue]) -> Int {
        let recipients = state.withLockedValue { state in
            room.map { state.rooms[$0].map { Array($0.values) } ?? [] } ?? Array(state.sockets.values)
        }
        return send(event, args, to: recipients.filter { $0 !== except })
    }

    /// `emit(to:except:…)` whose recipients, once collected, may be screened: `screen` is asked
    /// after the room's members are read (so a socket that entered the room after something the
    /// screen depends on was set up is screened), and when it gives a filter each recipient must
    /// pass it. A nil filter costs nothing per recipient.
    @discardableResult
    public func emit(
        to room: String, except: Socket?, screenedBy screen: () -> ((Socket) -> Bool)?, _ event: String,
        _ args: [JSONValue]
    ) -> Int {
        var recipients = sockets(in: room).filter { $0 !== except }
        if let include = screen() { recipients = recipients.filter(include) }
        return send(event, args, to: recipients)
    }

    /// Encodes the event once and hands the same bytes to every recipient.
    private func send(_ event: String, _ args: [JSONValue], to recipients: [Socket]) -> Int {
        guard !recipients.isEmpty else { return 0 }
        let message = Self.outbound(SocketIOPacket.event(event, args, namespace: name))
        EngineSession.send(message, to: recipients.map(\.session))
        return recipients.count
    }

    /// Emits once to every socket in any of `rooms` (a socket in several gets it once).
    @discardableResult
    public func emit(to rooms: [String], except: Socket? = nil, _ event: String, _ args: [JSONValue]) -> Int {
        let recipients = state.withLockedValue { state in
            var unique: [String: Socket] = [:]
            for room in rooms { unique.merge(state.rooms[room] ?? [:]) { first, _ in first } }
            return Array(unique.values)
        }
        return send(event, args, to: recipients.filter { $0 !== except })
    }

    static func outbound(_ packet: SocketIOPacket) -> OutboundMessage {
        let (text, attachments) = packet.encode()
        return OutboundMessage([.message(text)] + attachments.map { EnginePacket.message($0) })
    }

    // MARK: Used by the connection

    func decide(_ request: ConnectRequest) async -> ConnectDecision {
        guard let hook = state.withLockedValue({ $0.authorize }) else { return .accept(nil) }
        return await hook(request)
    }

    func abandoned(_ data: Sendable?) {
        state.withLockedValue { $0.onAbandoned }?(data)
    }

    func added(_ socket: Socket) {
        let onConnect = state.withLockedValue { state in
            state.sockets[socket.id] = socket
            return state.onConnect
        }
        onConnect?(socket)
    }

    func removed(_ socket: Socket, reason: String) {
        let onDisconnect = state.withLockedValue { state -> (@Sendable (Socket, String) -> Void)? in
            guard state.sockets.removeValue(forKey: socket.id) != nil else { return nil }
            for room in socket.roomsSnapshot {
                state.rooms[room]?.removeValue(forKey: socket.id)
                if state.rooms[room]?.isEmpty == true { state.rooms.removeValue(forKey: room) }
            }
            return state.onDisconnect
        }
        onDisconnect?(socket, reason)
    }

    func dispatch(_ socket: Socket, _ name: String, _ args: [JSONValue], ack: Acknowledgement?) {
        let (handler, any) = state.withLockedValue { ($0.handlers[name], $0.onAnyEvent) }
        if let handler { handler(socket, args, ack) } else { any?(socket, name, args, ack) }
    }
}
