import ChatModel
import SocketIOProtocol

/// Editing, deleting and reacting to a stored message (issue 14). Each needs the room's usual
/// rules (visible, joined) and a live message of that room; the write re-reads the message in its
/// transaction, so one deleted meanwhile is `message_not_found`, never revived. The ack comes once
/// the write is durable, the room's broadcast after it.
extension ChatService {
    /// The author's new text for their own `text` message (text rules as for `send_message`).
    func editMessage(_ id: Int64, in name: String, text raw: String, _ connection: ChatConnection) async throws
        -> Outcome
    {
        let user = connection.user
        let text = try MessageText.validate(raw).get()
        try limit(\.messages, user.id)
        let (room, message) = try liveMessage(id, in: name, for: user)
        guard message.userID == user.id else { throw ChatError(.forbidden, "only its author may edit a message") }
        try requireMayWrite(in: room, user)
        guard message.type == .text else { throw ChatError(.invalidMessage, "only text messages can be edited") }
        let mentioned = try mentionedUsers(in: text, room: room, author: user).map(\.id)
        let edited = try await storing(id, in: room) {
            try await repository.editMessage(id: message.id, text: text, mentions: mentioned, standing: true)
        }
        var users = [user.id: user]
        let json = try messageJSON(edited, room: room, cache: &users)
        var outcome = Outcome()
        outcome.reply = .success([("message", json)])
        outcome.afterReply = [.deliver(Delivery(.room(room.name, except: nil), "message_updated", json))]
        // Only those the edit mentions for the first time hear of it.
        outcome.afterReply += mentionDeliveries(
            of: json, in: room, to: edited.mentions.filter { !message.mentions.contains($0) })
        return outcome
    }

    /// Leaves a tombstone: the author may delete their own `text` message, an admin any message.
    func deleteMessage(_ id: Int64, in name: String, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        try limit(\.messages, user.id)
        let (room, message) = try liveMessage(id, in: name, for: user)
        if !user.role.moderates(room) {
            guard message.userID == user.id else {
                throw ChatError(.forbidden, "only its author or a moderator of the room may delete a message")
            }
            guard message.type == .text else { throw ChatError(.invalidMessage, "only text messages can be deleted") }
        }
        _ = try await storing(id, in: room) { try await repository.deleteMessage(id: message.id) }
        let fields: [(String, JSONValue)] = [("room", .string(room.name)), ("id", .int(id))]
        var outcome = Outcome()
        outcome.reply = .success(fields)
        if message.userID != user.id {
            let author = try repository.user(id: message.userID)
            outcome.audit = [
                AuditEntry(
                    .deleteMessage, actor: user.name, target: author?.name ?? "#\(message.userID)", room: room.name,
                    details: ["message_id": String(message.id)])
            ]
        }
        outcome.afterReply = [.deliver(Delivery(.room(room.name, except: nil), "message_deleted", .object(fields)))]
        return outcome
    }

    /// Turns the caller's reaction on or off (either is fine when it already is).
    func react(to id: Int64, in name: String, emoji raw: String, on: Bool, _ connection: ChatConnection) async throws
        -> Outcome
    {
        let user = connection.user
        let emoji = try ReactionEmoji.validate(raw).get()
        try limit(\.reactions, user.id)
        let (room, message) = try liveMessage(id, in: name, for: user)
        try requireMayWrite(in: room, user)
        let reactions = try await storing(id, in: room) {
            try await repository.react(message: message.id, user: user.id, emoji: emoji, on: on, standing: true)
        }
        var users = [user.id: user]
        let fields: [(String, JSONValue)] = [
            ("room", .string(room.name)), ("id", .int(id)), ("reactions", try reactionsJSON(reactions, &users)),
        ]
        var outcome = Outcome()
        outcome.reply = .success(fields)
        outcome.afterReply = [.deliver(Delivery(.room(room.name, except: nil), "reaction_updated", .object(fields)))]
        return outcome
    }

    /// The room (visible to the user, who has joined it) and its message `id`, not deleted. A user
    /// banned from the room is told `banned` (the ban ended their membership: not `not_joined`).
    func liveMessage(_ id: Int64, in name: String, for user: User) throws -> (Room, Message) {
        let room = try visibleRoom(name, to: user)
        guard try repository.participant(room: room.id, user: user.id) != nil else {
            try requireNotBanned(from: room, user)
            throw ChatError.notJoined(name)
        }
        guard id > 0, let message = try repository.message(id: MessageID(id)), message.roomID == room.id,
            !message.deleted
        else { throw ChatError.messageNotFound(id) }
        return (room, message)
    }

    /// A write's refusals as the contract's codes (a write that re-checks the user's standing may
    /// find them removed, banned or muted since the checks before it).
    private func storing<T>(_ id: Int64, in room: Room, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch RepositoryError.messageNotFound(_) {
            throw ChatError.messageNotFound(id)
        } catch RepositoryError.tooManyReactions {
            throw ChatError(.invalidRequest, RepositoryError.tooManyReactions.description)
        } catch RepositoryError.notParticipant {
            throw ChatError.notJoined(room.name)
        } catch RepositoryError.banned {
            throw ChatError.banned(room.name)
        } catch RepositoryError.muted(let until) {
            throw ChatError.muted(room.name, until: until)
        }
    }

    /// A stored message as the contract shows it, with its reactions and mentions; users are read once each.
    func messageJSON(_ message: Message, room: Room, cache: inout [UserID: User]) throws -> JSONValue {
        let author = try cachedUser(message.userID, &cache)
        let reactions = message.deleted ? [] : try repository.reactions(ofMessage: message.id)
        let mentions = try message.mentions.compactMap { try cachedUser($0, &cache)?.name }
        return ChatJSON.message(
            message, room: room, user: author, reactions: try reactionsJSON(reactions, &cache), mentions: mentions)
    }

    func reactionsJSON(_ reactions: [Reaction], _ cache: inout [UserID: User]) throws -> JSONValue {
        for id in reactions.flatMap(\.users) { _ = try cachedUser(id, &cache) }
        let known = cache
        return ChatJSON.reactions(reactions) { known[$0]?.name }
    }
}
