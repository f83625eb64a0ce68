import ChatModel
import SocketIOProtocol

/// Joining a room, coming back to rooms after a reconnect (`join_room` with `since`, `resume`) and
/// reading history (issue 15).
///
/// Exactly once: the connection's broadcasts from the room are held (`Effect.hold`) before it
/// enters the room; its history is read after it entered; the answer goes out; then the held
/// broadcasts follow, less the `new_message`s the answer already carried (`Effect.release`). A
/// message committed at any moment is therefore in the answer or delivered live, never both,
/// never neither.
extension ChatService {
    /// Messages a recovery may carry (newer ones, and older changed ones, each); beyond, the
    /// client reloads the latest page (`recovered: false`).
    static let recoveryLimit = 1000
    /// Messages one `resume` recovers over all its rooms (new ones and changed ones alike); rooms
    /// past it answer `recovered: false` (their latest page), so one answer stays a few MB at most.
    static let resumeBudget = 2000

    func joinRoom(_ name: String, since: MessageID?, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        try limit(\.joins, user.id)
        let room = try visibleRoom(name, to: user)
        let membership = try await joining(room, user, readToEnd: true)
        var outcome = Outcome()
        outcome.effects = [.hold(connection.id, room: room.name), .join(connection.id, room: room.name)]
        outcome.next = FollowUp(step: .roomJoined(connection, room, membership, since: since))
        return outcome
    }

    /// Joins each room again without moving read positions (nobody looked at them yet); one
    /// token of the join bucket for the lot.
    func resume(_ points: [ChatEvent.ResumePoint], _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        try limit(\.joins, user.id)
        var rooms: [ResumedRoom] = []
        var outcome = Outcome()
        for point in points {
            do {
                let room = try visibleRoom(point.room, to: user)
                let membership = try await joining(room, user, readToEnd: false)
                outcome.effects += [.hold(connection.id, room: room.name), .join(connection.id, room: room.name)]
                rooms.append(
                    ResumedRoom(name: room.name, outcome: .success((room, membership, MessageID(point.since)))))
            } catch let refusal as ChatError {
                rooms.append(ResumedRoom(name: point.room, outcome: .failure(refusal)))
            }
        }
        outcome.next = FollowUp(step: .roomsResumed(connection, rooms))
        return outcome
    }

    /// The join's write. A private room was visible because the user is a participant: the write
    /// requires that still (an admin may have removed them since), else it is `room_not_found`.
    /// A banned user is refused before and, should the ban land meanwhile, by the write itself.
    private func joining(_ room: Room, _ user: User, readToEnd: Bool) async throws -> Membership {
        try requireNotBanned(from: room, user)
        do {
            return try await repository.join(
                room: room.id, user: user.id, readToEnd: readToEnd, onlyIfParticipant: room.isPrivate)
        } catch RepositoryError.notParticipant {
            throw ChatError.roomNotFound(room.name)
        } catch RepositoryError.banned {
            // Banned between the check above and the write.
            throw ChatError.banned(room.name)
        }
    }

    /// `room_joined` to the caller (and as the ack), the `join` message and `user_joined` to the others.
    func roomJoined(_ connection: ChatConnection, _ room: Room, _ membership: Membership, since: MessageID?) throws
        -> Outcome
    {
        let (fields, through) = try roomAnswer(connection, room, membership, since: since)
        var outcome = Outcome()
        outcome.effects = [.deliver(Delivery(.connection(connection.id), "room_joined", .object(fields)))]
        outcome.effects += announcements(of: connection, joining: room, membership)
        outcome.reply = .success(fields)
        outcome.afterReply = [.release(connection.id, room: room.name, through: through)]
        // Opening a room reads it to the end: the other devices and (when shared) the room hear so.
        if let previous = membership.previousRead, membership.participant.lastRead > previous {
            outcome.afterReply += try readReceipt(of: connection.user, in: room, at: membership.participant.lastRead)
        }
        return outcome
    }

    func roomsResumed(_ connection: ChatConnection, _ rooms: [ResumedRoom]) throws -> Outcome {
        var outcome = Outcome()
        var answers: [(String, JSONValue)] = []
        var budget = Self.resumeBudget
        for resumed in rooms {
            switch resumed.outcome {
            case .failure(let refusal):
                answers.append((resumed.name, ChatJSON.failure(refusal)))
            case .success(let (room, membership, since)):
                let (fields, through) = try roomAnswer(
                    connection, room, membership, since: since, limit: min(Self.recoveryLimit, budget))
                // What the answer carries counts, the older changed messages (`updated`) too: a room
                // with nothing new but 1,000 changes would otherwise cost the budget nothing.
                for (name, value) in fields where name == "messages" || name == "updated" {
                    budget -= value.arrayValue?.count ?? 0
                }
                answers.append((room.name, ChatJSON.success(fields)))
                outcome.effects.append(.deliver(Delivery(.connection(connection.id), "room_joined", .object(fields))))
                outcome.effects += announcements(of: connection, joining: room, membership)
                outcome.afterReply.append(.release(connection.id, room: room.name, through: through))
            }
        }
        outcome.reply = .success([("rooms", .object(answers))])
        return outcome
    }

    /// A failed answer still lets the held broadcasts go (nothing was delivered that they repeat).
    func releasingOnFailure(_ connection: ChatConnection, _ rooms: [String], _ body: () -> Outcome) -> Outcome {
        var outcome = body()
        if case .failure? = outcome.reply {
            outcome.afterReply += rooms.map { .release(connection.id, room: $0, through: 0) }
        }
        return outcome
    }

    /// The `room_joined` fields, and the newest message id they carry (what the release drops up to).
    private func roomAnswer(
        _ connection: ChatConnection, _ room: Room, _ membership: Membership, since: MessageID?,
        limit: Int = recoveryLimit
    ) throws -> ([(String, JSONValue)], MessageID) {
        let user = connection.user
        var users: [UserID: User] = [user.id: user]
        var fields: [(String, JSONValue)] = [("room", ChatJSON.room(room, peer: try peer(in: room, of: user)))]
        var through: MessageID = 0
        if let since, limit > 0, let recovery = try repository.recovery(room: room.id, since: since, limit: limit) {
            through = max(since, recovery.messages.last?.id ?? 0)
            fields += [
                ("messages", .array(try recovery.messages.map { try messageJSON($0, room: room, cache: &users) })),
                ("has_more", .bool(recovery.hasOlder)), ("recovered", true),
                ("updated", .array(try recovery.updated.map { try messageJSON($0, room: room, cache: &users) })),
            ]
        } else {
            let latest = try repository.latestMessages(room: room.id, limit: limits.historyPage + 1)
            through = latest.last?.id ?? 0
            fields += [
                (
                    "messages",
                    .array(try latest.suffix(limits.historyPage).map { try messageJSON($0, room: room, cache: &users) })
                ),
                ("has_more", .bool(latest.count > limits.historyPage)),
            ]
            if since != nil { fields += [("recovered", false), ("updated", [])] }
        }
        fields += [
            ("participants", .array(try participantsJSON(of: room, viewer: user, cache: &users))),
            ("last_read", ChatJSON.id(membership.previousRead)),
        ]
        return (fields, through)
    }

    /// Each participant with presence, last activity and read position (null for those who keep
    /// it to themselves, except the viewer's own).
    private func participantsJSON(of room: Room, viewer: User, cache users: inout [UserID: User]) throws -> [JSONValue]
    {
        let online = state.withLock { $0.presence.onlineUsers }
        return try repository.participants(ofRoom: room.id).map { participant -> JSONValue in
            let shares =
                try participant.userID == viewer.id
                || repository.preferences(ofUser: participant.userID).shareReadReceipts
            return [
                "user": (try cachedUser(participant.userID, &users)).map(ChatJSON.user) ?? .null,
                "online": .bool(online.contains(participant.userID)),
                "last_active": ChatJSON.time(participant.lastActive),
                "last_read": shares ? ChatJSON.id(participant.lastRead) : .null,
            ]
        }
    }

    /// What the room's others hear when someone joins: the `join` message (a first join only) and `user_joined`.
    private func announcements(of connection: ChatConnection, joining room: Room, _ membership: Membership) -> [Effect]
    {
        let user = connection.user
        let others = Audience.room(room.name, except: connection.id)
        var effects: [Effect] = []
        if let joinMessage = membership.joinMessage {
            effects.append(
                .deliver(Delivery(others, "new_message", ChatJSON.message(joinMessage, room: room, user: user))))
        }
        effects.append(
            .deliver(Delivery(others, "user_joined", ["room": .string(room.name), "user": ChatJSON.user(user)])))
        return effects
    }

    /// The `new_message` payloads of the room's messages with ids strictly between `after` and
    /// `before`, oldest first (the binding sends them when a later message's broadcast overtook
    /// theirs; see `ChatServer.broadcastInOrder`).
    public func messageEvents(inRoom name: String, after: MessageID, before: MessageID) throws -> [JSONValue] {
        guard let room = try repository.room(named: name) else { return [] }
        // Walked back from `before` (a message of the room): usually the one just before it is `after`.
        var between: [Message] = []
        var upper = before
        var pageSize = 4
        while true {
            let page = try repository.messages(room: room.id, before: upper, limit: pageSize)
            let newer = page.filter { $0.id > after }
            between.insert(contentsOf: newer, at: 0)
            guard newer.count == page.count, page.count == pageSize, let first = page.first else { break }
            upper = first.id
            pageSize = min(pageSize * 2, 256)
        }
        var users: [UserID: User] = [:]
        return try between.map { try messageJSON($0, room: room, cache: &users) }
    }

    /// A page of a room's history, for any room the caller may read (joined or not).
    func history(_ name: String, before: MessageID?, limit pageSize: Int, _ connection: ChatConnection) throws
        -> Outcome
    {
        let user = connection.user
        try limit(\.reads, user.id)
        let room = try visibleRoom(name, to: user)
        try requireNotBanned(from: room, user)
        // The cursor must be a message of this room: it is then one index seek, never a walk of
        // the room looking for where an id from elsewhere would fall.
        if let before, try repository.message(id: before)?.roomID != room.id {
            throw ChatError(.invalidRequest, "'before' must be the id of a message of this room")
        }
        let page =
            try before.map { try repository.messages(room: room.id, before: $0, limit: pageSize + 1) }
            ?? repository.latestMessages(room: room.id, limit: pageSize + 1)
        var users: [UserID: User] = [user.id: user]
        var outcome = Outcome()
        outcome.reply = .success([
            ("room", .string(room.name)),
            ("messages", .array(try page.suffix(pageSize).map { try messageJSON($0, room: room, cache: &users) })),
            ("has_more", .bool(page.count > pageSize)),
        ])
        return outcome
    }
}
