import ChatModel
import ChatStore
import SocketIO
import SocketIOProtocol

/// The client → server events of the contract. Each returns the fields of its `{"ok":true,…}`
/// ack or throws a `ChatError`.
extension ChatServer {
    func getRooms(_ socket: Socket) throws -> [(String, JSONValue)] {
        guard let user = socket.client?.user else { throw ChatError(.unauthorized, "not signed in") }
        let rooms = try roomsList(for: user)
        socket.emit("rooms_list", ["rooms": rooms])
        return [("rooms", rooms)]
    }

    func joinRoom(_ socket: Socket, _ args: [JSONValue]) async throws -> [(String, JSONValue)] {
        let user = try self.user(of: socket)
        let name = try roomName(args)
        try limit(\.joins, user)
        let room = try visibleRoom(name, to: user)
        let membership = try await store.join(room: room.id, user: user.id)
        socket.join(Self.room(name))

        let latest = try store.latestMessages(room: room.id, limit: limits.historyPage + 1)
        let page = latest.suffix(limits.historyPage)
        var users: [UserID: User] = [user.id: user]
        let messages = try page.map { message in ChatJSON.message(message, room: room, user: try cachedUser(message.userID, &users)) }
        let online = state.withLockedValue { $0.presence.onlineUsers }
        let participants = try store.participants(ofRoom: room.id).map { participant -> JSONValue in
            [
                "user": (try cachedUser(participant.userID, &users)).map(ChatJSON.user) ?? .null,
                "online": .bool(online.contains(participant.userID)),
                "last_active": ChatJSON.time(participant.lastActive),
            ]
        }
        let fields: [(String, JSONValue)] = [
            ("room", ChatJSON.room(room)), ("messages", .array(messages)),
            ("participants", .array(participants)), ("has_more", .bool(latest.count > limits.historyPage)),
        ]
        socket.emit("room_joined", .object(fields))
        if let joinMessage = membership.joinMessage {
            namespace.emit(to: Self.room(name), except: socket, "new_message", [ChatJSON.message(joinMessage, room: room, user: user)])
        }
        namespace.emit(to: Self.room(name), except: socket, "user_joined", [["room": .string(name), "user": ChatJSON.user(user)]])
        return fields
    }

    func leaveRoom(_ socket: Socket, _ args: [JSONValue]) async throws -> [(String, JSONValue)] {
        let user = try self.user(of: socket)
        let name = try roomName(args)
        guard let room = try store.room(named: name), try isVisible(room, to: user) else { throw ChatError.roomNotFound(name) }
        guard let leaveMessage = try await store.leave(room: room.id, user: user.id) else { throw ChatError.notJoined(name) }
        // The membership is gone: every connection of this user leaves the room.
        for own in sockets(of: user.id) { own.leave(Self.room(name)) }
        let entry = TypingTracker.Entry(room: room.id, user: user.id)
        if state.withLockedValue({ $0.typing.stop(entry) }) { announceTyping(entry, typing: false) }
        namespace.emit(to: Self.room(name), "new_message", [ChatJSON.message(leaveMessage, room: room, user: user)])
        namespace.emit(to: Self.room(name), "user_left", [["room": .string(name), "user": ChatJSON.user(user)]])
        return [("room", .string(name))]
    }

    func sendMessage(_ socket: Socket, _ args: [JSONValue]) async throws -> EventReply {
        let user = try self.user(of: socket)
        let name = try roomName(args)
        guard let raw = args.first?["message"]?.stringValue else { throw ChatError(.invalidMessage, "'message' must be a string") }
        let text = try MessageText.validate(raw).get()
        try limit(\.messages, user)
        let room = try visibleRoom(name, to: user)
        guard try store.participant(room: room.id, user: user.id) != nil else { throw ChatError.notJoined(name) }
        // Durable first: the append returns once the commit is on disk.
        let message = try await store.append(NewMessage(roomID: room.id, userID: user.id, text: text))
        observer.stored()
        let entry = TypingTracker.Entry(room: room.id, user: user.id)
        if state.withLockedValue({ $0.typing.stop(entry) }) { announceTyping(entry, typing: false) }
        let json = ChatJSON.message(message, room: room, user: user)
        // The broadcast follows the ack (the caller sends the ack first, on the same ordered
        // session): the sender sees its ack first, and nobody sees the message before it is durable.
        return EventReply(fields: [("message", json)]) { [self] in
            observer.delivered(namespace.emit(to: Self.room(name), "new_message", [json]))
        }
    }

    func typing(_ socket: Socket, _ args: [JSONValue], active: Bool) throws -> [(String, JSONValue)] {
        let user = try self.user(of: socket)
        let name = try roomName(args)
        let room = try visibleRoom(name, to: user)
        // Membership, not this socket's rooms: a removed member's sockets must not type into it.
        guard try store.participant(room: room.id, user: user.id) != nil else { throw ChatError.notJoined(name) }
        let entry = TypingTracker.Entry(room: room.id, user: user.id)
        if active {
            try limit(\.typingEvents, user)
            if state.withLockedValue({ $0.typing.start(entry, now: SystemClock().monotonicMicros()) }) {
                announceTyping(entry, typing: true)
            }
        } else if state.withLockedValue({ $0.typing.stop(entry) }) {
            announceTyping(entry, typing: false)
        }
        return [("room", .string(name)), ("typing", .bool(active))]
    }

    // MARK: Helpers

    func roomsList(for user: User) throws -> JSONValue {
        let online = state.withLockedValue { $0.presence.onlineUsers }
        let mine = Set(try store.rooms(ofUser: user.id))
        var rooms: [JSONValue] = []
        for room in try store.allRooms() where room.isActive && (!room.isPrivate || mine.contains(room.id)) {
            let participants = try store.participants(ofRoom: room.id)
            rooms.append(ChatJSON.roomSummary(room, online: participants.filter { online.contains($0.userID) }.count,
                                              participants: participants.count))
        }
        return .array(rooms)
    }

    private func user(of socket: Socket) throws -> User {
        guard let user = socket.client?.user else { throw ChatError(.unauthorized, "not signed in") }
        return user
    }

    private func roomName(_ args: [JSONValue]) throws -> String {
        guard let payload = args.first, payload.isObject else { throw ChatError(.invalidRequest, "expected an object like {\"room\": \"general\"}") }
        guard let name = payload["room"]?.stringValue else { throw ChatError(.invalidRequest, "'room' must be a room name") }
        return name
    }

    /// An active room the user may see. A private room they are not a member of answers exactly
    /// like a missing one, so outsiders cannot tell which private rooms exist.
    private func visibleRoom(_ name: String, to user: User) throws -> Room {
        guard Names.isValidRoomName(name), let room = try store.room(named: name), room.isActive, try isVisible(room, to: user) else {
            throw ChatError.roomNotFound(name)
        }
        return room
    }

    private func isVisible(_ room: Room, to user: User) throws -> Bool {
        try !room.isPrivate || store.participant(room: room.id, user: user.id) != nil
    }

    private func limit(_ limiter: WritableKeyPath<State, RateLimiter<UserID>>, _ user: User) throws {
        let allowed = state.withLockedValue { $0[keyPath: limiter].allow(user.id, now: SystemClock().monotonicMicros()) }
        guard allowed else { throw ChatError.rateLimited }
    }

    private func cachedUser(_ id: UserID, _ cache: inout [UserID: User]) throws -> User? {
        if let known = cache[id] { return known }
        let found = try store.user(id: id)
        cache[id] = found
        return found
    }
}
