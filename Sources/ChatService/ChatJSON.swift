import ChatModel
import SocketIOProtocol

/// The JSON shapes of the event contract (README, "Event contract").
public enum ChatJSON {
    public static func user(_ user: User) -> JSONValue {
        ["id": .int(Int64(user.id)), "name": .string(user.name), "display_name": .string(user.displayName)]
    }

    public static func time(_ micros: Micros) -> JSONValue { .string(ISO8601.format(micros: micros)) }

    public static func message(
        _ message: Message, room: Room, user: User?, reactions: JSONValue = [], mentions: [String] = []
    ) -> JSONValue {
        Self.message(message, roomName: room.name, user: user, reactions: reactions, mentions: mentions)
    }

    /// A message; `reactions` is `reactions(_:userName:)` of its reactions (none for a new one),
    /// `mentions` the names of the users it mentions.
    public static func message(
        _ message: Message, roomName: String, user: User?, reactions: JSONValue = [], mentions: [String] = []
    ) -> JSONValue {
        [
            "id": .int(Int64(message.id)),
            "room": .string(roomName),
            "user": user.map(Self.user) ?? .null,
            "message": .string(message.text),
            "message_type": .string(message.type.name),
            "created_at": time(message.createdAt),
            "is_edited": .bool(message.isEdited),
            "edited_at": message.editedAt.map(time) ?? .null,
            "deleted": .bool(message.deleted),
            "reactions": message.deleted ? [] : reactions,
            "mentions": message.deleted ? [] : .array(mentions.map(JSONValue.string)),
        ]
    }

    public static func preferences(_ preferences: Preferences) -> JSONValue {
        ["share_read_receipts": .bool(preferences.shareReadReceipts)]
    }

    /// A message id, or null for none (0).
    public static func id(_ id: MessageID?) -> JSONValue {
        guard let id, id > 0 else { return .null }
        return .int(Int64(clamping: id))
    }

    /// `[{"emoji","count","users":[user names]}]`, in the order of each emoji's first use. A user
    /// the lookup cannot name is left out of `users` (still counted).
    public static func reactions(_ reactions: [Reaction], userName: (UserID) -> String?) -> JSONValue {
        .array(
            reactions.map { reaction in
                [
                    "emoji": .string(reaction.emoji), "count": .int(Int64(reaction.users.count)),
                    "users": .array(reaction.users.compactMap(userName).map(JSONValue.string)),
                ]
            })
    }

    /// A room as its viewer sees it: a direct room also carries `title` (the other user's display
    /// name) and `peer` (the other user), when `peer` is known.
    public static func room(_ room: Room, peer: User? = nil) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("name", .string(room.name)), ("description", .string(room.description)),
            ("is_private", .bool(room.isPrivate)), ("kind", .string(room.kind.rawValue)),
        ]
        if room.kind == .direct, let peer {
            fields += [("title", .string(peer.displayName)), ("peer", user(peer))]
        }
        return .object(fields)
    }

    public static func roomSummary(
        _ room: Room, peer: User? = nil, online: Int, participants: Int, joined: Bool = false,
        readState: RoomReadState? = nil, standing: Standing = Standing()
    ) -> JSONValue {
        guard case .object(let fields) = Self.room(room, peer: peer) else { return .null }
        let state = readState ?? RoomReadState(lastID: nil, lastRead: nil, unread: 0, mentions: 0)
        return .object(
            fields + [
                ("online", .int(Int64(online))), ("participants", .int(Int64(participants))),
                ("joined", .bool(joined)), ("last_id", id(state.lastID)),
                ("last_read", joined ? id(state.lastRead) : .null),
                ("unread", .int(Int64(min(state.unread, unreadCap)))),
                ("unread_capped", .bool(state.unread > unreadCap)),
                ("mentions", .int(Int64(min(state.mentions, unreadCap)))),
                ("muted_until", standing.mutedUntil.map(time) ?? .null), ("banned", .bool(standing.banned)),
                ("ban_reason", standing.banned && !standing.banReason.isEmpty ? .string(standing.banReason) : .null),
                ("moderates", .bool(standing.moderates)),
            ])
    }

    /// The viewer's standing in a room: muted until, banned, moderates it.
    public struct Standing: Sendable {
        public var mutedUntil: Micros?
        public var banned = false
        /// Why, as the moderator said (may be empty).
        public var banReason = ""
        public var moderates = false
        public init(mutedUntil: Micros? = nil, banned: Bool = false, banReason: String = "", moderates: Bool = false) {
            self.mutedUntil = mutedUntil
            self.banned = banned
            self.banReason = banReason
            self.moderates = moderates
        }
    }

    /// Unread and mention counts stop here (`unread_capped` says the count went past it).
    public static let unreadCap = 999

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

extension ChatService {
    /// `ChatJSON` reachable through the type, for modules that must qualify it.
    public typealias JSON = ChatJSON
}
