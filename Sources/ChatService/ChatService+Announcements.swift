import ChatModel
import SocketIOProtocol

/// Broadcasts that more than one call makes: typing and presence. Best effort: if the repository
/// cannot name the room or the user, the announcement is skipped rather than failing the call.
extension ChatService {
    /// `user_typing` to the others in the room: never to the typer's own connections.
    func typingAnnouncement(_ entry: TypingTracker.Entry, typing: Bool) -> [Effect] {
        guard let room = try? repository.room(id: entry.room), let user = try? repository.user(id: entry.user) else {
            return []
        }
        let payload: JSONValue = ["room": .string(room.name), "user": ChatJSON.user(user), "typing": .bool(typing)]
        return [.deliver(Delivery(.roomExcludingUser(room.name, user.id), "user_typing", payload))]
    }

    /// Ends a typing entry, announcing it only if it was typing.
    func stopTyping(_ entry: TypingTracker.Entry) -> [Effect] {
        state.withLock { $0.typing.stop(entry) } ? typingAnnouncement(entry, typing: false) : []
    }

    /// `presence` to every room the user belongs to (a connection in several gets it once).
    func presenceAnnouncement(of user: User, online: Bool) -> [Effect] {
        guard let roomIDs = try? repository.rooms(ofUser: user.id) else { return [] }
        let names = roomIDs.compactMap { try? repository.room(id: $0)?.name }
        guard !names.isEmpty else { return [] }
        return [.deliver(Delivery(.rooms(names), "presence", ["user": ChatJSON.user(user), "online": .bool(online)]))]
    }

    /// Typing starts that ran out (`typingExpiry` without a renewal): `user_typing` false for each.
    /// The binding calls this a few times a second.
    public func expireTyping() -> Outcome {
        let now = now()
        let expired = state.withLock { $0.typing.expire(now: now) }
        var outcome = Outcome()
        outcome.effects = expired.flatMap { typingAnnouncement($0, typing: false) }
        return outcome
    }
}
