import Accounts
import ChatModel
import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import SocketIO
import SocketIOProtocol

/// The chat over Socket.IO: authentication at CONNECT, the events of the contract, presence,
/// typing and limits. Durable first: nothing is acknowledged or broadcast before its commit.
public final class ChatServer: Sendable {
    public struct Limits: Sendable {
        public var messageBurst: Double = 20
        public var messageRate: Double = 5
        public var maxConnectionsPerIP = 1000
        public var historyPage = 50
        public var typingExpiry: Micros = 5_000_000
        public init() {}
    }

    struct State {
        var presence = Presence()
        var typing: TypingTracker
        var messages: RateLimiter<UserID>
        var joins = RateLimiter<UserID>(burst: 20, rate: 2)
        var typingEvents = RateLimiter<UserID>(burst: 30, rate: 5)
        var connectionsPerAddress: [String: Int] = [:]
        var socketsByUser: [UserID: [String: Socket]] = [:]

        mutating func releaseSlot(of address: String) {
            connectionsPerAddress[address, default: 1] -= 1
            if connectionsPerAddress[address, default: 0] <= 0 { connectionsPerAddress.removeValue(forKey: address) }
        }
    }

    /// What the chat reports as it works (metrics); all no-ops by default.
    public struct Observer: Sendable {
        public var stored: @Sendable () -> Void = {}
        public var delivered: @Sendable (Int) -> Void = { _ in }
        public var refused: @Sendable (String) -> Void = { _ in }
        public var connections: @Sendable (Int) -> Void = { _ in }
        public init() {}
    }

    let store: ChatStore
    let observer: Observer
    let authenticator: Authenticator
    let namespace: Namespace
    let limits: Limits
    let logger: Logger
    let state: NIOLockedValueBox<State>
    private let typingTimer = NIOLockedValueBox<Task<Void, Never>?>(nil)

    public init(store: ChatStore, authenticator: Authenticator, io: SocketIOServer, limits: Limits, logger: Logger, observer: Observer = .init()) {
        self.store = store
        self.observer = observer
        self.authenticator = authenticator
        self.limits = limits
        self.logger = logger
        namespace = io.of("/")
        state = NIOLockedValueBox(State(
            typing: TypingTracker(expiry: limits.typingExpiry),
            messages: RateLimiter(burst: limits.messageBurst, rate: limits.messageRate)))
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
            if let client = data as? ChatClient { releaseSlot(of: client.address) }
        }
        on("get_rooms") { server, socket, _ in try server.getRooms(socket) }
        on("join_room") { server, socket, args in try await server.joinRoom(socket, args) }
        on("leave_room") { server, socket, args in try await server.leaveRoom(socket, args) }
        onReplying("send_message") { server, socket, args in try await server.sendMessage(socket, args) }
        on("typing_start") { server, socket, args in try server.typing(socket, args, active: true) }
        on("typing_stop") { server, socket, args in try server.typing(socket, args, active: false) }
        namespace.onAny { socket, name, _, ack in
            let error = ChatError(.invalidRequest, "unknown event '\(name)'")
            if let ack { ack(ChatJSON.failure(error)) } else { socket.emit("error", ChatJSON.error(error)) }
        }
    }

    /// Registers an event handler that runs in the client's queue and answers with an ack
    /// (`{"ok":true,…}` / `{"ok":false,"error":…}`) or, without an ack, an `error` event on failure.
    private func on(_ event: String, _ handler: @escaping @Sendable (ChatServer, Socket, [JSONValue]) async throws -> [(String, JSONValue)]) {
        onReplying(event) { server, socket, args in EventReply(fields: try await handler(server, socket, args)) }
    }

    /// Like `on`, for handlers with work that must follow their ack (see `EventReply`).
    private func onReplying(_ event: String, _ handler: @escaping @Sendable (ChatServer, Socket, [JSONValue]) async throws -> EventReply) {
        namespace.on(event) { [self] socket, args, ack in
            guard let client = socket.client else { return }
            client.enqueue { [self] in
                do {
                    let reply = try await handler(self, socket, args)
                    ack?.reply([ChatJSON.success(reply.fields)])
                    reply.afterAck?()
                } catch let error as ChatError {
                    observer.refused(error.code.rawValue)
                    if let ack { ack(ChatJSON.failure(error)) } else { socket.emit("error", ChatJSON.error(error)) }
                } catch {
                    logger.error("event failed", metadata: ["event": "\(event)", "error": "\(SafeText.forLog("\(error)", limit: 300))", "user": "\(client.user.name)"])
                    let failure = ChatError(.internalError, "something went wrong; try again")
                    if let ack { ack(ChatJSON.failure(failure)) } else { socket.emit("error", ChatJSON.error(failure)) }
                }
            }
        }
    }

    private func authorize(_ request: ConnectRequest) async -> ConnectDecision {
        let address = request.session.remoteAddress?.ipAddress ?? "unknown"
        let token = request.auth?["token"]?.stringValue ?? Authenticator.sessionToken(in: request.session.handshake.headers)
        let identified: (User, Authenticator.Credential)?
        do {
            identified = try await token.asyncMap { try await authenticator.authenticate(token: $0) } ?? nil
        } catch {
            // The store failed: the server's fault, said as such (never "unauthorized").
            logger.error("connection refused: the store failed", metadata: ["remote": "\(address)", "error": "\(SafeText.forLog("\(error)", limit: 300))"])
            observer.refused("internal_error")
            return .refuse(["message": "internal_error"])
        }
        guard let (user, credential) = identified else {
            logger.notice("connection refused: unauthorized", metadata: ["remote": "\(address)"])
            observer.refused("unauthorized")
            return .refuse(["message": "unauthorized"])
        }
        // The slot is reserved here, under the same lock as the check, so simultaneous CONNECTs
        // cannot all pass; it is released at disconnect, or when the CONNECT is abandoned.
        let admitted = state.withLockedValue { state in
            guard state.connectionsPerAddress[address, default: 0] < limits.maxConnectionsPerIP else { return false }
            state.connectionsPerAddress[address, default: 0] += 1
            return true
        }
        guard admitted else {
            logger.warning("connection refused: too many connections from one address", metadata: ["remote": "\(address)", "user": "\(user.name)"])
            observer.refused("rate_limited")
            return .refuse(["message": "rate_limited"])
        }
        return .accept(ChatClient(user: user, credential: credential, address: address))
    }

    private func connected(_ socket: Socket) {
        guard let client = socket.client else { return }
        let user = client.user
        client.start()
        let (cameOnline, total) = state.withLockedValue { state in
            state.socketsByUser[user.id, default: [:]][socket.id] = socket
            return (state.presence.connected(user.id), state.socketsByUser.values.reduce(0) { $0 + $1.count })
        }
        observer.connections(total)
        logger.info("connected", metadata: ["user": "\(user.name)", "remote": "\(client.address)", "session": "\(socket.session.logID)"])
        socket.emit("status", ["connected": true, "user": ChatJSON.user(user)])
        client.enqueue { [self] in
            if cameOnline { announcePresence(of: user, online: true) }
            if let rooms = try? roomsList(for: user) { socket.emit("rooms_list", ["rooms": rooms]) }
        }
    }

    private func disconnected(_ socket: Socket, reason: String) {
        guard let client = socket.client else { return }
        let user = client.user
        let (wentOffline, stoppedTyping) = state.withLockedValue { state in
            state.socketsByUser[user.id]?.removeValue(forKey: socket.id)
            if state.socketsByUser[user.id]?.isEmpty == true { state.socketsByUser.removeValue(forKey: user.id) }
            state.releaseSlot(of: client.address)
            return (state.presence.disconnected(user.id), state.typing.clear(user: user.id))
        }
        observer.connections(connectionCount)
        logger.info("disconnected", metadata: ["user": "\(user.name)", "reason": "\(reason)", "session": "\(socket.session.logID)"])
        for entry in stoppedTyping { announceTyping(entry, typing: false) }
        if wentOffline { announcePresence(of: user, online: false) }
        client.finish()
    }

    private func releaseSlot(of address: String) {
        state.withLockedValue { $0.releaseSlot(of: address) }
    }

    // MARK: Broadcasts

    func announcePresence(of user: User, online: Bool) {
        guard let roomIDs = try? store.rooms(ofUser: user.id) else { return }
        let names = roomIDs.compactMap { try? store.room(id: $0)?.name }.map(Self.room)
        namespace.emit(to: names, "presence", [["user": ChatJSON.user(user), "online": .bool(online)]])
    }

    /// Tells the others in the room: never the typer's own connections.
    func announceTyping(_ entry: TypingTracker.Entry, typing: Bool) {
        guard let room = try? store.room(id: entry.room), let user = try? store.user(id: entry.user) else { return }
        namespace.emit(to: Self.room(room.name), where: { $0.client?.user.id != entry.user }, "user_typing",
                       [["room": .string(room.name), "user": ChatJSON.user(user), "typing": .bool(typing)]])
    }

    private func startTypingExpiry() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self else { return }
                let expired = self.state.withLockedValue { $0.typing.expire(now: SystemClock().monotonicMicros()) }
                for entry in expired { self.announceTyping(entry, typing: false) }
            }
        }
        typingTimer.withLockedValue { $0 = task }
    }

    // MARK: Operator actions reaching the running daemon

    /// Sockets of one user (all of them, or those that used a given credential).
    func sockets(of userID: UserID, credential: Authenticator.Credential? = nil) -> [Socket] {
        let all = state.withLockedValue { $0.socketsByUser[userID].map { Array($0.values) } ?? [] }
        guard let credential else { return all }
        return all.filter { $0.client?.credential == credential }
    }

    /// Closes connections whose user is disabled, whose session no longer exists, or whose
    /// host-app link was removed.
    public func revalidate(userNamed name: String) {
        guard let user = try? store.user(named: name) else { return }
        for socket in sockets(of: user.id) {
            var valid = !user.disabled
            switch socket.client?.credential {
            case .session(let hash)?: valid = valid && (try? store.session(tokenHash: hash)) != nil
            case .hostApp?: valid = valid && user.hostApp
            case nil: break
            }
            if !valid {
                logger.notice("closing connection of a disabled or signed-out user", metadata: ["user": "\(SafeText.forLog(name))"])
                socket.disconnect()
                socket.session.close()
            }
        }
    }

    /// An admin ended a membership (the store already has the `leave` message): every socket of
    /// the user leaves the room now and gets `room_removed`, their typing stops, the room's others
    /// see them leave, and everyone's room list is refreshed (a private room drops out of theirs).
    public func memberRemoved(roomNamed roomName: String, userNamed userName: String) {
        guard let room = try? store.room(named: roomName), let user = try? store.user(named: userName) else { return }
        for socket in sockets(of: user.id) {
            socket.leave(Self.room(room.name))
            socket.emit("room_removed", ["room": .string(room.name), "message": .string("You were removed from '\(room.name)'.")])
        }
        let entry = TypingTracker.Entry(room: room.id, user: user.id)
        if state.withLockedValue({ $0.typing.stop(entry) }) { announceTyping(entry, typing: false) }
        if let leave = try? store.latestMessages(room: room.id, limit: 1).last, leave.userID == user.id, leave.type == .leave {
            namespace.emit(to: Self.room(room.name), "new_message", [ChatJSON.message(leave, room: room, user: user)])
        }
        namespace.emit(to: Self.room(room.name), "user_left", [["room": .string(room.name), "user": ChatJSON.user(user)]])
        roomsChanged()
    }

    /// Ends the connections that logged in with this session (logout).
    public func closeSessions(hash: [UInt8], userID: UserID) {
        for socket in sockets(of: userID, credential: .session(hash: hash)) {
            socket.disconnect()
            socket.session.close()
        }
    }

    /// Rooms were added or archived: everyone gets a fresh room list.
    public func roomsChanged() {
        let everyone = state.withLockedValue { $0.socketsByUser.values.flatMap(\.values) }
        for socket in everyone {
            guard let user = socket.client?.user, let rooms = try? roomsList(for: user) else { continue }
            socket.emit("rooms_list", ["rooms": rooms])
        }
    }

    public var connectedUsers: Int { state.withLockedValue { $0.presence.onlineUsers.count } }
    public var connectionCount: Int { state.withLockedValue { $0.socketsByUser.values.reduce(0) { $0 + $1.count } } }
    /// Rooms with at least one connection in them.
    public var activeRooms: Int {
        state.withLockedValue { Set($0.socketsByUser.values.flatMap(\.values).flatMap(\.rooms)) }.count
    }
}

/// An event's answer: the fields of its `{"ok":true,…}` ack, and what to do once the ack is on its
/// way — a broadcast the sender also receives goes after the ack on the same ordered session, as
/// the contract promises.
struct EventReply: Sendable {
    var fields: [(String, JSONValue)]
    var afterAck: (@Sendable () -> Void)?
}
