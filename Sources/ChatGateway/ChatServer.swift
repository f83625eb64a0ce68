import Accounts
import ChatModel
import ChatService
import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import SocketIO
import Synchronization

/// The chat over Socket.IO: a thin binding of `ChatService`. It authenticates CONNECTs, hands
/// each event to the service, and carries out the outcome (ack, emits, socket rooms,
/// disconnects) in order; the rules are the service's. It owns only the typing-expiry timer.
public final class ChatServer: Sendable {
    public typealias Limits = ChatService.Limits

    /// What the chat reports as it works (metrics); all no-ops by default.
    public struct Observer: Sendable {
        public var stored: @Sendable () -> Void = {}
        public var delivered: @Sendable (Int) -> Void = { _ in }
        public var refused: @Sendable (String) -> Void = { _ in }
        public var connections: @Sendable (Int) -> Void = { _ in }
        public init() {}
    }

    let service: ChatService
    let observer: Observer
    let authenticator: Authenticator
    let namespace: Namespace
    let logger: Logger
    private let typingTimer = NIOLockedValueBox<Task<Void, Never>?>(nil)
    let store: ChatStore
    /// How many rooms clients are holding right now (joins between entering a room and their
    /// answer): while 0, room broadcasts skip the per-recipient hold check.
    let holding = Atomic<Int>(0)
    /// Per room, the newest message whose `new_message` went out, and the lock that keeps each
    /// room's `new_message`s going out in id order (see `broadcastInOrder`). A room's cursor is
    /// made at its first broadcast, at `startedAfter`.
    let broadcastCursors = Mutex<[String: RoomCursor]>([:])
    /// The message-id counter when the server started: what was committed before it was never
    /// this process's to broadcast (one read, instead of a cursor read for every room at start).
    let startedAfter: MessageID

    final class RoomCursor: Sendable {
        let sent: Mutex<MessageID>
        init(_ sent: MessageID) { self.sent = Mutex(sent) }
    }

    /// Client events being carried out, and rooms dropping late repeats until they are done.
    let flights = Mutex(Flights())

    /// Each client event takes a number while it is carried out. A message it stores is committed
    /// before its broadcast goes out: a joiner whose answer was read in between carried it already,
    /// so it drops the late `new_message` (see `ChatClient.release`) until every event in flight
    /// at its release is done.
    struct Flights: ~Copyable {
        var next: UInt64 = 1
        var open: Set<UInt64> = []
        /// Connections dropping late repeats in a room, and the last event they wait for.
        var trailing: [(id: ConnectionID, room: String, until: UInt64)] = []
    }

    public init(
        store: ChatStore, authenticator: Authenticator, io: SocketIOServer, limits: Limits, logger: Logger,
        observer: Observer = .init(), clock: any ChatClock = SystemClock()
    ) throws {
        service = ChatService(repository: store, clock: clock, limits: limits)
        self.store = store
        self.observer = observer
        self.authenticator = authenticator
        self.logger = logger
        namespace = io.of("/")
        startedAfter = try store.lastMessageID()
        installHandlers()
        startTypingExpiry()
    }

    public func stop() {
        typingTimer.withLockedValue { $0?.cancel() }
    }

    static func room(_ name: String) -> String { "room:" + name }

    // MARK: Connect and disconnect

    private func installHandlers() {
        namespace.authorize { [self] request in await authorize(request) }
        namespace.onConnect { [self] socket in connected(socket) }
        namespace.onDisconnect { [self] socket, reason in disconnected(socket, reason: reason) }
        namespace.onAbandoned { [self] data in
            if let client = data as? ChatClient { service.abandon(address: client.limitKey) }
        }
        for event in ChatEvent.names { on(event) }
        // Unknown events are answered at once, outside the client's queue, and not counted as refusals.
        namespace.onAny { socket, name, args, ack in
            guard case .failure(let error) = ChatEvent.decode(name, args) else { return }
            if let ack { ack(ChatJSON.failure(error)) } else { socket.emit("error", ChatJSON.error(error)) }
        }
    }

    /// Handles an event in the client's queue, so one client's events keep their order.
    private func on(_ event: String) {
        namespace.on(event) { [self] socket, args, ack in
            guard let client = socket.client else { return }
            let connection = client.connection(on: socket)
            client.enqueue { [self] in
                let flight = takeOff()
                var outcome = await service.handle(event, args, from: connection)
                while let next = carryOut(outcome, socket: socket, ack: ack, event: event) {
                    outcome = service.resume(next)
                }
                land(flight)
            }
        }
    }

    private func takeOff() -> UInt64 {
        flights.withLock { flights in
            defer { flights.next += 1 }
            flights.open.insert(flights.next)
            return flights.next
        }
    }

    /// The event is done: rooms whose late repeats can no longer come stop dropping them.
    private func land(_ flight: UInt64) {
        let settled = flights.withLock { flights -> [(id: ConnectionID, room: String, until: UInt64)] in
            flights.open.remove(flight)
            guard !flights.trailing.isEmpty else { return [] }
            let lowest = flights.open.min() ?? .max
            let settled = flights.trailing.filter { $0.until < lowest }
            flights.trailing.removeAll { $0.until < lowest }
            return settled
        }
        for entry in settled
        where socket(entry.id)?.client?.endTrailing(Self.room(entry.room), until: entry.until) == true {
            holding.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    private func authorize(_ request: ConnectRequest) async -> ConnectDecision {
        let address = request.session.client.address
        let limitKey = request.session.client.limitKey
        let token =
            request.auth?["token"]?.stringValue ?? Authenticator.sessionToken(in: request.headers)
        let authentication: Result<ChatIdentity?, any Error>
        do {
            let found = try await token.asyncMap { try await authenticator.authenticate(token: $0) } ?? nil
            authentication = .success(
                try found.map {
                    ChatIdentity(
                        user: $0.0, credential: Self.credential($0.1),
                        preferences: try store.preferences(ofUser: $0.0.id))
                })
        } catch {
            authentication = .failure(error)
        }
        switch service.admit(authentication, address: limitKey) {
        case .success(let identity):
            return .accept(ChatClient(identity: identity, address: address, limitKey: limitKey))
        case .failure(let refusal):
            switch (refusal.code, authentication) {
            case (.internalError, .failure(let error)):
                // The store failed: the server's fault, said as such (never "unauthorized").
                logger.error(
                    "connection refused: the store failed",
                    metadata: ["remote": "\(address)", "error": "\(SafeText.forLog("\(error)", limit: 300))"])
            case (.rateLimited, _):
                logger.warning(
                    "connection refused: too many connections from one address",
                    metadata: ["remote": "\(address)", "user": "\((try? authentication.get())??.user.name ?? "")"])
            default:
                logger.notice("connection refused: \(refusal.code.rawValue)", metadata: ["remote": "\(address)"])
            }
            observer.refused(refusal.code.rawValue)
            return .refuse(["message": .string(refusal.code.rawValue)])
        }
    }

    static func credential(_ credential: Authenticator.Credential) -> ChatCredential {
        switch credential {
        case .session(let hash): .session(hash: hash)
        case .hostApp: .hostApp
        }
    }

    private func connected(_ socket: Socket) {
        guard let client = socket.client else { return }
        client.start()
        let outcome = service.connect(client.connection(on: socket))
        observer.connections(service.connectionCount)
        logger.info(
            "connected",
            metadata: [
                "user": "\(client.user.name)", "remote": "\(client.address)", "session": "\(socket.session.logID)",
            ])
        // `status` now; presence and the room list read the store, so they wait in the client's queue.
        if let next = carryOut(outcome) {
            client.enqueue { [self] in carryOut(service.resume(next)) }
        }
    }

    private func disconnected(_ socket: Socket, reason: String) {
        guard let client = socket.client else { return }
        holding.subtract(client.dropHolds(), ordering: .sequentiallyConsistent)
        let outcome = service.disconnect(client.connection(on: socket))
        observer.connections(service.connectionCount)
        logger.info(
            "disconnected",
            metadata: ["user": "\(client.user.name)", "reason": "\(reason)", "session": "\(socket.session.logID)"])
        // The client's queue ends here; what the service has left to announce reads the store,
        // which must not happen on this event loop.
        if let next = carryOut(outcome) {
            Task { [self] in carryOut(service.resume(next)) }
        }
        client.finish()
    }

    private func startTypingExpiry() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self else { return }
                carryOut(service.expireTyping())
            }
        }
        typingTimer.withLockedValue { $0 = task }
    }

    // MARK: Operator actions reaching the running daemon

    /// Closes connections whose user is disabled, whose session no longer exists, or whose
    /// host-app link was removed.
    public func revalidate(userNamed name: String) {
        carryOut(service.revalidate(userNamed: name), reason: "closing connection of a disabled or signed-out user")
    }

    /// An admin ended a membership: see `ChatService.memberRemoved`.
    public func memberRemoved(roomNamed roomName: String, userNamed userName: String) {
        carryOut(service.memberRemoved(roomNamed: roomName, userNamed: userName))
    }

    /// A moderator's action from the CLI: see `ChatService.moderationApplied`.
    public func moderationApplied(_ action: AuditEntry.Action, roomNamed roomName: String, userNamed userName: String) {
        carryOut(service.moderationApplied(action, roomNamed: roomName, userNamed: userName))
    }

    /// A message deleted from the CLI: see `ChatService.messageDeletedByAdmin`.
    public func messageDeleted(roomNamed roomName: String, messageID: MessageID) {
        carryOut(service.messageDeletedByAdmin(roomNamed: roomName, messageID: messageID))
    }

    /// An admin posted a notice: see `ChatService.noticePosted`.
    public func noticePosted(roomNamed roomName: String, messageID: MessageID) {
        carryOut(service.noticePosted(roomNamed: roomName, messageID: messageID))
    }

    /// Ends the connections that logged in with this session (logout).
    public func closeSessions(hash: [UInt8], userID: UserID) {
        carryOut(service.sessionEnded(hash: hash, userID: userID))
    }

    /// Rooms were added or archived: everyone gets a fresh room list.
    public func roomsChanged() {
        carryOut(service.roomsChanged())
    }

    public var connectedUsers: Int { service.connectedUsers }
    public var connectionCount: Int { service.connectionCount }
    /// Rooms with at least one connection in them.
    public var activeRooms: Int {
        Set(namespace.sockets.flatMap(\.rooms)).count
    }

    /// The open socket a connection id names (the namespace's table: the chat keeps no second one).
    func socket(_ id: ConnectionID) -> Socket? { namespace.socket(id: id.rawValue) }
}
