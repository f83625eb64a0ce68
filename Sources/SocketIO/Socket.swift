import EngineIO
import EngineIOProtocol
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol

public struct AckTimeout: Error, Equatable {}
public struct SocketDisconnected: Error, Equatable {}

/// One client's presence in one namespace.
public final class Socket: Sendable {
    public let id: String
    public let namespace: Namespace
    public let session: EngineSession
    /// What the connect hook attached (the authenticated user, say).
    public let data: Sendable?
    /// The CONNECT payload, when the server's configuration `keepsAuth`.
    public let auth: JSONValue?
    /// Held strongly: an operator action may reach a socket after its transport closed and the
    /// session let go of the connection (an `unowned` reference trapped there). No cycle outlives
    /// the socket: the connection drops its sockets when they disconnect or the transport closes.
    let connection: SocketIOConnection
    private let state = NIOLockedValueBox(State())

    struct State {
        var rooms: Set<String> = []
        var connected = true
    }

    init(id: String, namespace: Namespace, connection: SocketIOConnection, data: Sendable?, auth: JSONValue?) {
        self.id = id
        self.namespace = namespace
        self.connection = connection
        session = connection.session
        self.data = data
        self.auth = auth
    }

    public var isConnected: Bool { state.withLockedValue { $0.connected } }
    public var rooms: Set<String> { roomsSnapshot }
    var roomsSnapshot: Set<String> { state.withLockedValue { $0.rooms } }

    public func join(_ room: String) {
        guard state.withLockedValue({ $0.connected ? $0.rooms.insert(room).inserted : false }) else { return }
        namespace.join(self, room)
    }

    public func leave(_ room: String) {
        guard state.withLockedValue({ $0.rooms.remove(room) != nil }) else { return }
        namespace.leave(self, room)
    }

    /// Emits an event to this socket only.
    public func emit(_ event: String, _ args: JSONValue...) {
        emit(event, args)
    }

    public func emit(_ event: String, _ args: [JSONValue]) {
        guard isConnected else { return }
        session.send(Namespace.outbound(.event(event, args, namespace: namespace.name)))
    }

    /// Emits an event and waits for the client's ack (or `AckTimeout`).
    public func emitWithAck(_ event: String, _ args: [JSONValue], timeout: TimeAmount? = nil) async throws
        -> [JSONValue]
    {
        guard isConnected else { throw SocketDisconnected() }
        return try await connection.emitWithAck(
            self, event, args, timeout: timeout ?? connection.server.configuration.ackTimeout)
    }

    /// Disconnects this socket from its namespace (the client gets a DISCONNECT).
    public func disconnect() {
        connection.disconnect(self, notifyClient: true, reason: "server namespace disconnect")
    }

    /// Marks the socket gone; true the first time.
    func markDisconnected() -> Bool {
        state.withLockedValue { state in
            defer { state.connected = false }
            return state.connected
        }
    }
}
