import ChatModel
import SocketIOProtocol

/// Read positions, read receipts, preferences and mentions (issue 15).
extension ChatService {
    /// Moves the caller's read position forward (never back); the move reaches the caller's other
    /// connections always, and the room's others only when the caller shares read receipts.
    func markRead(_ name: String, id: Int64, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        try limit(\.reads, user.id)
        let room = try visibleRoom(name, to: user)
        guard try repository.participant(room: room.id, user: user.id) != nil else { throw ChatError.notJoined(name) }
        guard id > 0 else { throw ChatError.messageNotFound(id) }
        let mark: ReadMark
        do {
            mark = try await repository.markRead(room: room.id, user: user.id, message: MessageID(id))
        } catch RepositoryError.messageNotFound(_) {
            throw ChatError.messageNotFound(id)
        } catch RepositoryError.notParticipant {
            throw ChatError.notJoined(name)
        }
        var outcome = Outcome()
        outcome.reply = .success([("room", .string(room.name)), ("id", ChatJSON.id(mark.position))])
        guard mark.moved else { return outcome }
        outcome.afterReply = try readReceipt(of: user, in: room, at: mark.position)
        return outcome
    }

    /// `read_updated` for a position that moved: to every connection of the reader, and to the
    /// room's other users when the reader shares read receipts.
    func readReceipt(of user: User, in room: Room, at position: MessageID) throws -> [Effect] {
        let receipt: JSONValue = ["room": .string(room.name), "user": ChatJSON.user(user), "id": ChatJSON.id(position)]
        var effects: [Effect] = [
            .deliver(Delivery(.connections(connections(of: user.id).map(\.id)), "read_updated", receipt))
        ]
        if try repository.preferences(ofUser: user.id).shareReadReceipts {
            effects.append(.deliver(Delivery(.roomExcludingUser(room.name, user.id), "read_updated", receipt)))
        }
        return effects
    }

    /// A store write each, so it shares the reads bucket: unlimited, one member's connections
    /// kept the writer busy with thousands of them a second.
    func setPreferences(shareReadReceipts: Bool, _ connection: ChatConnection) async throws -> Outcome {
        try limit(\.reads, connection.user.id)
        let preferences = Preferences(shareReadReceipts: shareReadReceipts)
        try await repository.setPreferences(preferences, ofUser: connection.user.id)
        var outcome = Outcome()
        outcome.reply = .success([("preferences", ChatJSON.preferences(preferences))])
        return outcome
    }

    /// The caller's mentions, newest first, in rooms they can read now (a room they left or that
    /// was archived drops out). Bounded: at most a few index pages are read to fill one answer.
    func mentions(before: MessageID?, limit pageSize: Int, _ connection: ChatConnection) throws -> Outcome {
        let user = connection.user
        try limit(\.reads, user.id)
        var readable: [RoomID: Room?] = [:]
        var users: [UserID: User] = [user.id: user]
        var found: [JSONValue] = []
        var cursor = before
        var exhausted = false
        for _ in 0..<5 where found.count <= pageSize && !exhausted {
            let page = try repository.mentions(ofUser: user.id, before: cursor, limit: pageSize + 1)
            exhausted = page.count <= pageSize
            for message in page where found.count <= pageSize {
                cursor = message.id
                if readable[message.roomID] == nil {
                    let room = try repository.room(id: message.roomID)
                    readable[message.roomID] = try room.flatMap { room in
                        try room.isActive && isVisible(room, to: user) ? room : nil
                    }
                }
                guard let room = readable[message.roomID] ?? nil else { continue }
                found.append(try messageJSON(message, room: room, cache: &users))
            }
        }
        var outcome = Outcome()
        outcome.reply = .success([
            ("mentions", .array(Array(found.prefix(pageSize)))), ("has_more", .bool(found.count > pageSize)),
        ])
        return outcome
    }

    /// Who a text mentions in `room`: each `@name` of an active user who can read the room, and
    /// with `@here` the room's participants online now; never the author; each once, in order.
    func mentionedUsers(in text: String, room: Room, author: User) throws -> [User] {
        let (names, here) = Mentions.parse(text)
        guard !names.isEmpty || here else { return [] }
        var mentioned: [User] = []
        func add(_ user: User) {
            if user.id != author.id, !user.disabled, !mentioned.contains(where: { $0.id == user.id }) {
                mentioned.append(user)
            }
        }
        for token in names {
            for candidate in Mentions.candidates(token) {
                guard let user = try repository.user(named: candidate) else { continue }
                if try isVisible(room, to: user) { add(user) }
                break
            }
        }
        if here {
            let online = state.withLock { $0.presence.onlineUsers }
            for participant in try repository.participants(ofRoom: room.id) where online.contains(participant.userID) {
                if let user = try repository.user(id: participant.userID) { add(user) }
            }
        }
        return mentioned
    }

    /// `mentioned` to every connection of each mentioned user, in the room or not.
    func mentionDeliveries(of message: JSONValue, in room: Room, to users: [UserID]) -> [Effect] {
        guard !users.isEmpty else { return [] }
        let targets = users.flatMap { connections(of: $0).map(\.id) }
        guard !targets.isEmpty else { return [] }
        return [
            .deliver(Delivery(.connections(targets), "mentioned", ["room": .string(room.name), "message": message]))
        ]
    }
}
