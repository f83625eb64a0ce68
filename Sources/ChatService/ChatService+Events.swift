import ChatModel
import SocketIOProtocol

/// The client → server events of the contract (README, "Event contract").
extension ChatService {
    /// Decodes and handles one event from `connection`.
    public func handle(_ name: String, _ args: [JSONValue], from connection: ChatConnection) async -> Outcome {
        switch ChatEvent.decode(name, args) {
        case .failure(let error): .failure(error)
        case .success(let event): await handle(event, from: connection)
        }
    }

    public func handle(_ event: ChatEvent, from admitted: ChatConnection) async -> Outcome {
        await answering {
            let connection = try current(admitted)
            return switch event {
            case .getRooms: try getRooms(connection)
            case .joinRoom(let room): try await joinRoom(room, since: nil, connection)
            case .rejoinRoom(let room, let since): try await joinRoom(room, since: MessageID(since), connection)
            case .resume(let points): try await resume(points, connection)
            case .getHistory(let room, let before, let limit):
                try history(room, before: before.map(MessageID.init), limit: limit, connection)
            case .markRead(let room, let id): try await markRead(room, id: id, connection)
            case .setPreferences(let share): try await setPreferences(shareReadReceipts: share, connection)
            case .getMentions(let before, let limit):
                try mentions(before: before.map(MessageID.init), limit: limit, connection)
            case .search(let query, let room, let before, let limit):
                try search(query, in: room, before: before.map(MessageID.init), limit: limit, connection)
            case .leaveRoom(let room): try await leaveRoom(room, connection)
            case .sendMessage(let room, let message): try await sendMessage(message, to: room, connection)
            case .typing(let room, let active): try typing(in: room, active: active, connection)
            case .editMessage(let room, let id, let text): try await editMessage(id, in: room, text: text, connection)
            case .deleteMessage(let room, let id): try await deleteMessage(id, in: room, connection)
            case .react(let room, let id, let emoji, let on):
                try await react(to: id, in: room, emoji: emoji, on: on, connection)
            case .openDirect(let user): try await openDirect(with: user, connection)
            case .mute(let room, let user, let minutes): try await mute(room, user, minutes: minutes, connection)
            case .unmute(let room, let user): try await unmute(room, user, connection)
            case .ban(let room, let user, let reason): try await ban(room, user, reason: reason, connection)
            case .unban(let room, let user): try await unban(room, user, connection)
            case .getReports(let includeResolved): try reports(includeResolved: includeResolved, connection)
            case .resolveReport(let id): try await resolveReport(id, connection)
            case .reportMessage(let room, let id, let reason):
                try await reportMessage(id, in: room, reason: reason, connection)
            }
        }
    }

    /// The connection with its user as stored now: a display name or role changed by an admin
    /// counts from the next event (one short read). A user disabled meanwhile is refused (the
    /// admin action also closes their connections).
    private func current(_ connection: ChatConnection) throws -> ChatConnection {
        guard let user = try repository.user(id: connection.user.id), !user.disabled else {
            throw ChatError(.unauthorized, "not signed in")
        }
        var connection = connection
        connection.identity.user = user
        return connection
    }

    private func getRooms(_ connection: ChatConnection) throws -> Outcome {
        // A rooms list reads every room's counts: on the read budget like history and search.
        try limit(\.reads, connection.user.id)
        let rooms = try roomsList(for: connection.user)
        var outcome = Outcome()
        outcome.effects = [.deliver(Delivery(.connection(connection.id), "rooms_list", ["rooms": rooms]))]
        outcome.reply = .success([("rooms", rooms)])
        return outcome
    }

    /// Ends the membership: every connection of the user leaves the room, then the room hears
    /// the `leave` message and `user_left`.
    private func leaveRoom(_ name: String, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        // Joins and leaves share a budget: each stores a message and tells the whole room.
        try limit(\.joins, user.id)
        guard let room = try repository.room(named: name), try isVisible(room, to: user) else {
            throw ChatError.roomNotFound(name)
        }
        guard let leaveMessage = try await repository.leave(room: room.id, user: user.id) else {
            throw ChatError.notJoined(name)
        }
        var outcome = Outcome()
        outcome.effects = [.leave(connections(of: user.id).map(\.id), room: room.name)]
        outcome.effects += stopTyping(TypingTracker.Entry(room: room.id, user: user.id))
        outcome.effects += [
            .deliver(
                Delivery(
                    .room(room.name, except: nil), "new_message", ChatJSON.message(leaveMessage, room: room, user: user)
                )),
            .deliver(
                Delivery(
                    .room(room.name, except: nil), "user_left",
                    ["room": .string(room.name), "user": ChatJSON.user(user)])),
        ]
        outcome.reply = .success([("room", .string(name))])
        return outcome
    }

    /// Stores the message (the append returns once it is on disk), acks it, then broadcasts it to
    /// the whole room, sender included.
    private func sendMessage(_ raw: String, to name: String, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        let text = try MessageText.validate(raw).get()
        try limit(\.messages, user.id)
        let room = try visibleRoom(name, to: user)
        let mentioned = try mentionedUsers(in: text, room: room, author: user)
        let message: Message
        // The sender's standing (a participant, neither banned nor muted) is checked by the append
        // itself, in its write: once, and after any ban or mute committed before it.
        do {
            message = try await repository.append(
                NewMessage(
                    roomID: room.id, userID: user.id, text: text, mentions: mentioned.map(\.id), fromParticipant: true))
        } catch RepositoryError.notParticipant {
            throw ChatError.notJoined(name)
        } catch RepositoryError.banned {
            throw ChatError.banned(room.name)
        } catch RepositoryError.muted(let until) {
            throw ChatError.muted(room.name, until: until)
        }
        let json = ChatJSON.message(message, room: room, user: user, mentions: mentioned.map(\.name))
        var outcome = Outcome()
        outcome.stored = true
        outcome.effects = stopTyping(TypingTracker.Entry(room: room.id, user: user.id))
        outcome.reply = .success([("message", json)])
        outcome.afterReply = [
            .deliver(Delivery(.room(room.name, except: nil), "new_message", json, isMessageDelivery: true))
        ]
        outcome.afterReply += mentionDeliveries(of: json, in: room, to: mentioned.map(\.id))
        return outcome
    }

    /// Typing needs membership (not merely a connection in the room: a removed member's
    /// connections must not type into it); a start lasts `typingExpiry` unless renewed.
    private func typing(in name: String, active: Bool, _ connection: ChatConnection) throws -> Outcome {
        let user = connection.user
        let room = try visibleRoom(name, to: user)
        guard try repository.participant(room: room.id, user: user.id) != nil else { throw ChatError.notJoined(name) }
        let entry = TypingTracker.Entry(room: room.id, user: user.id)
        var outcome = Outcome()
        if active {
            try requireMayWrite(in: room, user)
            try limit(\.typingEvents, user.id)
            let now = now()
            if state.withLock({ $0.typing.start(entry, now: now) }) {
                outcome.effects = typingAnnouncement(entry, typing: true)
            }
        } else {
            outcome.effects = stopTyping(entry)
        }
        outcome.reply = .success([("room", .string(name)), ("typing", .bool(active))])
        return outcome
    }

    // MARK: Rules shared by the events

    /// The rooms a user is shown: active ones, public or with the user as a participant, each
    /// with where the user stands in it (read position, unread and mention counts: one snapshot).
    func roomsList(for user: User) throws -> JSONValue {
        let online = state.withLock { $0.presence.onlineUsers }
        let mine = Set(try repository.rooms(ofUser: user.id))
        let shown = try repository.allRooms().filter { $0.isActive && (!$0.isPrivate || mine.contains($0.id)) }
        let states = try repository.readStates(user: user.id, rooms: shown.map(\.id), cap: ChatJSON.unreadCap + 1)
        let restrictions = try repository.restrictions(ofUser: user.id)
        let now = clock.wallMicros()
        var rooms: [JSONValue] = []
        for room in shown {
            let participants = try repository.participants(ofRoom: room.id)
            rooms.append(
                ChatJSON.roomSummary(
                    room, peer: try peer(in: room, of: user),
                    online: participants.filter { online.contains($0.userID) }.count,
                    participants: participants.count, joined: mine.contains(room.id), readState: states[room.id],
                    standing: ChatJSON.Standing(
                        mutedUntil: restrictions[room.id].flatMap { $0.isMuted(at: now) ? $0.mutedUntil : nil },
                        banned: restrictions[room.id]?.banned ?? false,
                        banReason: restrictions[room.id]?.reason ?? "",
                        moderates: room.direct == nil && user.role.moderates(room))))
        }
        return .array(rooms)
    }

    /// An active room the user may see. A private room they are not a member of answers exactly
    /// like a missing one, so outsiders cannot tell which private rooms exist.
    func visibleRoom(_ name: String, to user: User) throws -> Room {
        guard Names.isValidRoomName(name), let room = try repository.room(named: name), room.isActive,
            try isVisible(room, to: user)
        else {
            throw ChatError.roomNotFound(name)
        }
        return room
    }

    func isVisible(_ room: Room, to user: User) throws -> Bool {
        try !room.isPrivate || repository.participant(room: room.id, user: user.id) != nil
    }

    func limit(_ limiter: WritableKeyPath<ServiceState, RateLimiter<UserID>>, _ user: UserID) throws {
        let now = now()
        guard state.withLock({ $0[keyPath: limiter].allow(user, now: now) }) else { throw ChatError.rateLimited }
    }

    func cachedUser(_ id: UserID, _ cache: inout [UserID: User]) throws -> User? {
        if let known = cache[id] { return known }
        let found = try repository.user(id: id)
        cache[id] = found
        return found
    }
}
