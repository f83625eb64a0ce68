import ChatModel
import ChatService
import Configuration
import Foundation

/// `fitchat export`: every message as one JSON object per line, oldest first, in the shape of the
/// chat's message events (`id, room, user, message, message_type, created_at, is_edited, edited_at,
/// deleted, reactions`): a deleted message is its tombstone.
public enum MessageExport {
    public static func write(settings: Settings, room roomName: String?, _ emit: (String) -> Void) throws {
        let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: false)
        defer { store.close() }
        var roomFilter: RoomID?
        if let roomName {
            guard let room = try store.room(named: roomName) else { throw RepositoryError.roomNotFound(roomName) }
            roomFilter = room.id
        }
        var rooms: [RoomID: String] = [:]
        var users: [UserID: User] = [:]
        try store.forEachMessage(room: roomFilter) { message in
            if rooms[message.roomID] == nil {
                rooms[message.roomID] = try store.room(id: message.roomID)?.name ?? "#\(message.roomID)"
            }
            if users[message.userID] == nil, let user = try store.user(id: message.userID) {
                users[message.userID] = user
            }
            let reactions = message.deleted ? [] : try store.reactions(ofMessage: message.id)
            for id in reactions.flatMap(\.users) where users[id] == nil {
                users[id] = try store.user(id: id)
            }
            let known = users
            emit(
                line(message, room: rooms[message.roomID]!, user: users[message.userID], reactions: reactions) {
                    known[$0]?.name
                })
        }
    }

    /// One export line: the same shape as a `new_message` event.
    static func line(
        _ message: Message, room: String, user: User?, reactions: [Reaction] = [],
        userName: (UserID) -> String? = { _ in nil }
    ) -> String {
        ChatJSON.message(
            message, roomName: room, user: user, reactions: ChatJSON.reactions(reactions, userName: userName)
        )
        .jsonString
    }
}
