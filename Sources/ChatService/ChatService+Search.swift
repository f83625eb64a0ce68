import ChatModel
import SocketIOProtocol

/// `search` (issue 16): full-text search over the rooms the caller may read.
extension ChatService {
    /// A page of matches, newest first, each with its room. `room` narrows the search to one room
    /// the caller may read; any other name is `room_not_found`, as a missing room is.
    func search(
        _ query: SearchQuery, in name: String?, before: MessageID?, limit pageSize: Int,
        _ connection: ChatConnection
    ) throws -> Outcome {
        let user = connection.user
        try limit(\.reads, user.id)
        var rooms = try searchableRooms(for: user)
        if let name {
            guard let room = rooms.values.first(where: { $0.name == name }) else {
                // Banned from it (and so no longer reading it) says so; anything else is missing.
                if let banned = try repository.room(named: name), banned.isActive, !banned.isPrivate,
                    try repository.restriction(room: banned.id, user: user.id)?.banned == true
                {
                    throw ChatError.banned(banned.name)
                }
                throw ChatError.roomNotFound(name)
            }
            rooms = [room.id: room]
        }
        let page = try repository.search(query, rooms: Set(rooms.keys), before: before, limit: pageSize)
        var users: [UserID: User] = [user.id: user]
        var results: [JSONValue] = []
        for message in page.messages {
            guard let room = rooms[message.roomID] else { continue }
            results.append(["room": .string(room.name), "message": try messageJSON(message, room: room, cache: &users)])
        }
        var outcome = Outcome()
        outcome.reply = .success([("results", .array(results)), ("next_before", ChatJSON.id(page.nextBefore))])
        return outcome
    }

    /// The rooms a search may look in, by id: the active rooms the user may read — every public
    /// room they are not banned from, and the private and direct rooms they are a participant of.
    /// The one place that says so: whatever else keeps a user from reading a room must be
    /// subtracted here.
    func searchableRooms(for user: User) throws -> [RoomID: Room] {
        let mine = Set(try repository.rooms(ofUser: user.id))
        let banned = Set(try repository.restrictions(ofUser: user.id).values.filter(\.banned).map(\.roomID))
        var rooms: [RoomID: Room] = [:]
        for room in try repository.allRooms()
        where room.isActive && (!room.isPrivate || mine.contains(room.id)) && !banned.contains(room.id) {
            rooms[room.id] = room
        }
        return rooms
    }
}
