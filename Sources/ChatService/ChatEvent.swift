import ChatModel
import SocketIOProtocol

/// A client → server event of the contract, decoded from its name and arguments.
public enum ChatEvent: Equatable, Sendable {
    case getRooms
    case joinRoom(String)
    case leaveRoom(String)
    case sendMessage(room: String, message: String)
    case typing(room: String, active: Bool)
    case editMessage(room: String, id: Int64, message: String)
    case deleteMessage(room: String, id: Int64)
    case react(room: String, id: Int64, emoji: String, on: Bool)
    case openDirect(user: String)

    /// The event, or why it cannot be one: an unknown name or a payload of the wrong shape is
    /// `invalid_request`; a `message` that is not a string is `invalid_message`.
    public static func decode(_ name: String, _ args: [JSONValue]) -> Result<ChatEvent, ChatError> {
        do { return .success(try parse(name, args)) } catch { return .failure(error) }
    }

    private static func parse(_ name: String, _ args: [JSONValue]) throws(ChatError) -> ChatEvent {
        switch name {
        case "get_rooms": return .getRooms
        case "join_room": return .joinRoom(try roomName(args))
        case "leave_room": return .leaveRoom(try roomName(args))
        case "send_message":
            let room = try roomName(args)
            guard let message = args.first?["message"]?.stringValue else {
                throw ChatError(.invalidMessage, "'message' must be a string")
            }
            return .sendMessage(room: room, message: message)
        case "typing_start": return .typing(room: try roomName(args), active: true)
        case "typing_stop": return .typing(room: try roomName(args), active: false)
        case "edit_message":
            let room = try roomName(args)
            let id = try messageID(args)
            guard let message = args.first?["message"]?.stringValue else {
                throw ChatError(.invalidMessage, "'message' must be a string")
            }
            return .editMessage(room: room, id: id, message: message)
        case "delete_message": return .deleteMessage(room: try roomName(args), id: try messageID(args))
        case "react":
            let room = try roomName(args)
            let id = try messageID(args)
            guard let emoji = args.first?["emoji"]?.stringValue else {
                throw ChatError(.invalidRequest, "'emoji' must be a string")
            }
            guard let on = args.first?["on"]?.boolValue else {
                throw ChatError(.invalidRequest, "'on' must be true or false")
            }
            return .react(room: room, id: id, emoji: emoji, on: on)
        case "open_direct":
            guard let payload = args.first, payload.isObject, let user = payload["user"]?.stringValue else {
                throw ChatError(.invalidRequest, "expected an object like {\"user\": \"ann\"}")
            }
            return .openDirect(user: user)
        default: throw ChatError(.invalidRequest, "unknown event '\(name)'")
        }
    }

    /// The names `decode` knows, for the binding to register.
    public static let names = [
        "get_rooms", "join_room", "leave_room", "send_message", "typing_start", "typing_stop", "edit_message",
        "delete_message", "react", "open_direct",
    ]

    /// `id`: a whole number (a message id is never negative or fractional).
    private static func messageID(_ args: [JSONValue]) throws(ChatError) -> Int64 {
        guard case .int(let id)? = args.first?["id"] else {
            throw ChatError(.invalidRequest, "'id' must be a message id (a whole number)")
        }
        return id
    }

    private static func roomName(_ args: [JSONValue]) throws(ChatError) -> String {
        guard let payload = args.first, payload.isObject else {
            throw ChatError(.invalidRequest, "expected an object like {\"room\": \"general\"}")
        }
        guard let name = payload["room"]?.stringValue else {
            throw ChatError(.invalidRequest, "'room' must be a room name")
        }
        return name
    }
}
