import ChatModel
import SocketIOProtocol

/// The JSON shapes of the event contract (README, "Event contract").
public enum ChatJSON {
    public static func user(_ user: User) -> JSONValue {
        ["id": .int(Int64(user.id)), "name": .string(user.name), "display_name": .string(user.displayName)]
    }

    public static func time(_ micros: Micros) -> JSONValue { .string(ISO8601.format(micros: micros)) }

    public static func message(_ message: Message, room: Room, user: User?) -> JSONValue {
        Self.message(message, roomName: room.name, user: user)
    }

    public static func message(_ message: Message, roomName: String, user: User?) -> JSONValue {
        [
            "id": .int(Int64(message.id)),
            "room": .string(roomName),
            "user": user.map(Self.user) ?? .null,
            "message": .string(message.text),
            "message_type": .string(message.type.name),
            "created_at": time(message.createdAt),
            "is_edited": .bool(message.isEdited),
            "edited_at": message.editedAt.map(time) ?? .null,
        ]
    }

    public static func room(_ room: Room) -> JSONValue {
        ["name": .string(room.name), "description": .string(room.description), "is_private": .bool(room.isPrivate)]
    }

    public static func roomSummary(_ room: Room, online: Int, participants: Int) -> JSONValue {
        [
            "name": .string(room.name), "description": .string(room.description), "is_private": .bool(room.isPrivate),
            "online": .int(Int64(online)), "participants": .int(Int64(participants)),
        ]
    }

    public static func error(_ error: ChatError) -> JSONValue {
        ["code": .string(error.code.rawValue), "message": .string(error.message)]
    }

    public static func failure(_ error: ChatError) -> JSONValue {
        ["ok": false, "error": Self.error(error)]
    }

    /// `{"ok":true, …fields}`.
    public static func success(_ fields: [(String, JSONValue)] = []) -> JSONValue {
        .object([("ok", .bool(true))] + fields)
    }
}
