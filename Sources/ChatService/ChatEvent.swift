import ChatModel
import SocketIOProtocol

/// A client → server event of the contract, decoded from its name and arguments.
public enum ChatEvent: Equatable, Sendable {
    case getRooms
    case joinRoom(String)
    case leaveRoom(String)
    case sendMessage(room: String, message: String)
    case typing(room: String, active: Bool)

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
        default: throw ChatError(.invalidRequest, "unknown event '\(name)'")
        }
    }

    /// The names `decode` knows, for the binding to register.
    public static let names = ["get_rooms", "join_room", "leave_room", "send_message", "typing_start", "typing_stop"]

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
