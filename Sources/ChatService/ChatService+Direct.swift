import ChatModel
import SocketIOProtocol

/// Direct messages (issue 14): a private room for exactly two users, made on first use.
extension ChatService {
    /// Opens (creating on first use) the caller's direct room with `name`. An unknown or disabled
    /// user and the caller themself are `invalid_request`, saying no more than "no such user".
    /// Whoever became a participant just now (both, when the room is new; one who had left it)
    /// gets a fresh `rooms_list` on every connection.
    func openDirect(with name: String, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        try limit(\.joins, user.id)
        guard let peer = try repository.user(named: name), !peer.disabled else {
            throw ChatError(.invalidRequest, "no such user")
        }
        guard peer.id != user.id else { throw ChatError(.invalidRequest, "a direct conversation needs another user") }
        let opened = try await repository.openDirectRoom(DirectPair(user.id, peer.id))
        var outcome = Outcome()
        outcome.reply = .success([("room", ChatJSON.room(opened.room, peer: peer))])
        for member in [user, peer] where opened.added.contains(member.id) {
            let connections = connections(of: member.id).map(\.id)
            guard !connections.isEmpty else { continue }
            let rooms = try roomsList(for: member)
            outcome.afterReply.append(.deliver(Delivery(.connections(connections), "rooms_list", ["rooms": rooms])))
        }
        return outcome
    }

    /// The other user of a direct room, as `viewer` sees it; nil for any other room.
    func peer(in room: Room, of viewer: User) throws -> User? {
        guard let pair = room.direct else { return nil }
        return try repository.user(id: pair.other(than: viewer.id))
    }
}
