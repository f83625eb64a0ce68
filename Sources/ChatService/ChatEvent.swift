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
    /// `join_room` with `since`: the join, and what the client missed after that message.
    case rejoinRoom(room: String, since: Int64)
    case getHistory(room: String, before: Int64?, limit: Int)
    case resume([ResumePoint])
    case markRead(room: String, id: Int64)
    case setPreferences(shareReadReceipts: Bool)
    case getMentions(before: Int64?, limit: Int)
    case mute(room: String, user: String, minutes: Int)
    case unmute(room: String, user: String)
    case ban(room: String, user: String, reason: String)
    case unban(room: String, user: String)
    case reportMessage(room: String, id: Int64, reason: String)
    case getReports(includeResolved: Bool)
    case resolveReport(id: Int64)
    /// `search`: `room` nil for every room the caller may read.
    case search(query: SearchQuery, room: String?, before: Int64?, limit: Int)

    /// One room of a `resume`: the last message the client saw there.
    public struct ResumePoint: Equatable, Sendable {
        public var room: String
        public var since: Int64
        public init(room: String, since: Int64) {
            self.room = room
            self.since = since
        }
    }

    /// Rooms one `resume` may name.
    public static let maxResumedRooms = 100
    /// Messages one page (`get_history`, `get_mentions`) may hold; `defaultPage` when not asked.
    public static let maxPage = 100
    public static let defaultPage = 50

    /// The event, or why it cannot be one: an unknown name or a payload of the wrong shape is
    /// `invalid_request`; a `message` that is not a string is `invalid_message`.
    public static func decode(_ name: String, _ args: [JSONValue]) -> Result<ChatEvent, ChatError> {
        do { return .success(try parse(name, args)) } catch { return .failure(error) }
    }

    private static func parse(_ name: String, _ args: [JSONValue]) throws(ChatError) -> ChatEvent {
        switch name {
        case "get_rooms": return .getRooms
        case "join_room":
            let room = try roomName(args)
            guard let since = args.first?["since"], since != .null else { return .joinRoom(room) }
            return .rejoinRoom(room: room, since: try position(since, "since"))
        case "get_history":
            let room = try roomName(args)
            return .getHistory(room: room, before: try optionalID(args, "before"), limit: try pageSize(args))
        case "resume":
            guard case .object(let fields)? = args.first?["rooms"], !fields.isEmpty,
                fields.count <= maxResumedRooms
            else {
                throw ChatError(
                    .invalidRequest, "expected {\"rooms\": {ROOM: LAST_ID, …}} with 1 to \(maxResumedRooms) rooms")
            }
            var points: [ResumePoint] = []
            for (room, since) in fields where !points.contains(where: { $0.room == room }) {
                points.append(
                    ResumePoint(room: room, since: try position(since, "rooms['\(SafeText.forLog(room, limit: 64))']")))
            }
            return .resume(points)
        case "mark_read": return .markRead(room: try roomName(args), id: try messageID(args))
        case "set_preferences":
            guard let payload = args.first, payload.isObject, let share = payload["share_read_receipts"]?.boolValue
            else {
                throw ChatError(.invalidRequest, "expected {\"share_read_receipts\": true or false}")
            }
            return .setPreferences(shareReadReceipts: share)
        case "get_mentions":
            if let payload = args.first, payload != .null, !payload.isObject {
                throw ChatError(.invalidRequest, "expected an object like {\"before\": 120, \"limit\": 20}")
            }
            return .getMentions(before: try optionalID(args, "before"), limit: try pageSize(args))
        case "mute":
            let room = try roomName(args)
            let user = try userName(args)
            guard case .int(let minutes)? = args.first?["minutes"],
                ModerationRules.mutableMinutes.contains(Int(clamping: minutes))
            else {
                throw ChatError(
                    .invalidRequest,
                    "'minutes' must be a whole number from \(ModerationRules.mutableMinutes.lowerBound) to \(ModerationRules.mutableMinutes.upperBound)"
                )
            }
            return .mute(room: room, user: user, minutes: Int(minutes))
        case "unmute": return .unmute(room: try roomName(args), user: try userName(args))
        case "ban":
            let room = try roomName(args)
            let user = try userName(args)
            return .ban(room: room, user: user, reason: try reason(args, required: false))
        case "unban": return .unban(room: try roomName(args), user: try userName(args))
        case "get_reports":
            if let payload = args.first, payload != .null, !payload.isObject {
                throw ChatError(.invalidRequest, "expected an object like {\"include_resolved\": false}")
            }
            let include = args.first?["include_resolved"]
            guard include == nil || include == .null || include?.boolValue != nil else {
                throw ChatError(.invalidRequest, "'include_resolved' must be true or false")
            }
            return .getReports(includeResolved: include?.boolValue ?? false)
        case "resolve_report":
            guard let payload = args.first, payload.isObject, case .int(let id)? = payload["id"], id > 0 else {
                throw ChatError(.invalidRequest, "expected an object like {\"id\": 12} (a report id)")
            }
            return .resolveReport(id: id)
        case "report_message":
            let room = try roomName(args)
            let id = try messageID(args)
            return .reportMessage(room: room, id: id, reason: try reason(args, required: true))
        case "search": return try search(args)
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
        "delete_message", "react", "open_direct", "get_history", "resume", "mark_read", "set_preferences",
        "get_mentions", "mute", "unmute", "ban", "unban", "report_message", "search", "get_reports", "resolve_report",
    ]

    /// Results one `search` page may hold; `defaultSearchPage` when not asked.
    public static let maxSearchPage = 50
    public static let defaultSearchPage = 20

    private static func search(_ args: [JSONValue]) throws(ChatError) -> ChatEvent {
        guard let payload = args.first, payload.isObject else {
            throw ChatError(.invalidRequest, "expected an object like {\"query\": \"squat\"}")
        }
        guard let text = payload["query"]?.stringValue else {
            throw ChatError(.invalidRequest, "'query' must be a string")
        }
        let query: SearchQuery
        switch SearchQuery.parse(text) {
        case .success(let parsed): query = parsed
        case .failure(let problem): throw ChatError(.invalidRequest, problem.description)
        }
        var room: String?
        if let value = payload["room"], value != .null {
            guard let name = value.stringValue else { throw ChatError(.invalidRequest, "'room' must be a room name") }
            room = name
        }
        var limit = defaultSearchPage
        if let value = payload["limit"], value != .null {
            guard case .int(let asked) = value, (1...Int64(maxSearchPage)).contains(asked) else {
                throw ChatError(.invalidRequest, "'limit' must be a whole number from 1 to \(maxSearchPage)")
            }
            limit = Int(asked)
        }
        return .search(query: query, room: room, before: try optionalID(args, "before"), limit: limit)
    }

    /// A message id a client saw (0: none yet).
    private static func position(_ value: JSONValue, _ field: String) throws(ChatError) -> Int64 {
        guard case .int(let id) = value, id >= 0 else {
            throw ChatError(.invalidRequest, "'\(field)' must be a message id (a whole number, 0 or more)")
        }
        return id
    }

    private static func optionalID(_ args: [JSONValue], _ field: String) throws(ChatError) -> Int64? {
        guard let value = args.first?[field], value != .null else { return nil }
        guard case .int(let id) = value, id > 0 else {
            throw ChatError(.invalidRequest, "'\(field)' must be a message id (a whole number above 0)")
        }
        return id
    }

    private static func pageSize(_ args: [JSONValue]) throws(ChatError) -> Int {
        guard let value = args.first?["limit"], value != .null else { return defaultPage }
        guard case .int(let limit) = value, (1...Int64(maxPage)).contains(limit) else {
            throw ChatError(.invalidRequest, "'limit' must be a whole number from 1 to \(maxPage)")
        }
        return Int(limit)
    }

    /// `id`: a whole number (a message id is never negative or fractional).
    private static func messageID(_ args: [JSONValue]) throws(ChatError) -> Int64 {
        guard case .int(let id)? = args.first?["id"] else {
            throw ChatError(.invalidRequest, "'id' must be a message id (a whole number)")
        }
        return id
    }

    /// `user`: a user name (who a moderator acts on).
    private static func userName(_ args: [JSONValue]) throws(ChatError) -> String {
        guard let name = args.first?["user"]?.stringValue else {
            throw ChatError(.invalidRequest, "'user' must be a user name")
        }
        return name
    }

    /// `reason`: a sentence of at most `ModerationRules.maxReason` characters, without control characters.
    private static func reason(_ args: [JSONValue], required: Bool) throws(ChatError) -> String {
        let value = args.first?["reason"]
        if value == nil || value == .null {
            guard !required else { throw ChatError(.invalidRequest, "'reason' is required: say what is wrong") }
            return ""
        }
        guard let raw = value?.stringValue, let reason = ModerationRules.reason(raw), !(required && reason.isEmpty)
        else {
            throw ChatError(
                .invalidRequest,
                "'reason' must be text of \(required ? "1 to " : "at most ")\(ModerationRules.maxReason) characters without control characters"
            )
        }
        return reason
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
