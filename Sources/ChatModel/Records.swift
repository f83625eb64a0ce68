// The chat's records, shared by the store, the domain logic and the CLI.
// Times are microseconds since the Unix epoch (UTC): the store's room-time index sorts on them.

public typealias RoomID = UInt64
public typealias UserID = UInt64
public typealias MessageID = UInt64
/// Microseconds since 1970-01-01T00:00:00Z.
public typealias Micros = Int64

public struct Room: Sendable, Equatable, Hashable {
    public var id: RoomID
    public var name: String
    public var description: String
    public var createdAt: Micros
    public var isActive: Bool
    public var isPrivate: Bool
    /// The two users of a direct-message room (always private); nil for every other room.
    public var direct: DirectPair?

    public init(
        id: RoomID, name: String, description: String, createdAt: Micros, isActive: Bool = true,
        isPrivate: Bool = false,
        direct: DirectPair? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.createdAt = createdAt
        self.isActive = isActive
        self.isPrivate = isPrivate || direct != nil
        self.direct = direct
    }

    public var kind: RoomKind { direct != nil ? .direct : isPrivate ? .private : .public }
}

public enum RoomKind: String, Sendable, Equatable {
    case `public`, `private`, direct
}

/// The two users of a direct-message room, lower id first: the pair names the room
/// (`dm-LOW-HIGH`) and keys the store's `direct_rooms` index, so each pair has one room.
public struct DirectPair: Sendable, Equatable, Hashable {
    public let low: UserID
    public let high: UserID

    public init(_ a: UserID, _ b: UserID) {
        low = min(a, b)
        high = max(a, b)
    }

    /// Room names starting so are reserved for direct messages: admins cannot create them.
    public static let roomNamePrefix = "dm-"
    public var roomName: String { "\(Self.roomNamePrefix)\(low)-\(high)" }

    public func contains(_ user: UserID) -> Bool { user == low || user == high }
    public func other(than user: UserID) -> UserID { user == low ? high : low }
}

public enum UserRole: UInt8, Sendable, Equatable, CaseIterable {
    case member = 0
    case admin = 1
    /// Keeps the public rooms friendly (issue 16): deletes anyone's message there.
    case moderator = 2

    public var name: String {
        switch self {
        case .member: "member"
        case .admin: "admin"
        case .moderator: "moderator"
        }
    }

    /// The role a name (`member`, `moderator`, `admin`) stands for.
    public init?(name: String) {
        guard let role = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = role
    }

    /// `member, moderator or admin`, for messages that list them.
    public static let names = "member, moderator or admin"

    /// May moderate `room`: an admin any room, a moderator the public ones.
    public func moderates(_ room: Room) -> Bool {
        switch self {
        case .admin: true
        case .moderator: room.kind == .public
        case .member: false
        }
    }
}

public struct User: Sendable, Equatable, Hashable {
    public var id: UserID
    public var name: String
    public var displayName: String
    public var role: UserRole
    /// Encoded password hash (see Accounts' PasswordHasher), nil for token-only users.
    public var passwordHash: String?
    public var disabled: Bool
    public var createdAt: Micros
    /// Provisioned by the host app (or linked to it by an admin): only such users may sign in
    /// with a host-app token. A local account never is, or any token naming it would take it over.
    public var hostApp: Bool

    public init(
        id: UserID, name: String, displayName: String, role: UserRole = .member, passwordHash: String? = nil,
        disabled: Bool = false, createdAt: Micros, hostApp: Bool = false
    ) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
        self.hostApp = hostApp
    }
}

public enum MessageType: UInt8, Sendable, Equatable, CaseIterable {
    case text = 0
    case system = 1
    case join = 2
    case leave = 3

    public var name: String {
        switch self {
        case .text: "text"
        case .system: "system"
        case .join: "join"
        case .leave: "leave"
        }
    }
}

public struct Message: Sendable, Equatable, Hashable {
    public var id: MessageID
    public var roomID: RoomID
    public var userID: UserID
    public var text: String
    public var type: MessageType
    public var createdAt: Micros
    public var isEdited: Bool
    public var editedAt: Micros?
    public var deleted: Bool
    /// The users the text mentions (schema 6), in the order first mentioned; none on a tombstone.
    public var mentions: [UserID]
    /// Where the message's latest edit, deletion or reaction change sits in its room's change log:
    /// a number from the message-id counter, so "changed after message N" is "revision > N".
    /// 0 when it never changed.
    public var revision: UInt64

    public init(
        id: MessageID, roomID: RoomID, userID: UserID, text: String, type: MessageType, createdAt: Micros,
        isEdited: Bool = false, editedAt: Micros? = nil, deleted: Bool = false, mentions: [UserID] = [],
        revision: UInt64 = 0
    ) {
        self.id = id
        self.roomID = roomID
        self.userID = userID
        self.text = text
        self.type = type
        self.createdAt = createdAt
        self.isEdited = isEdited
        self.editedAt = editedAt
        self.deleted = deleted
        self.mentions = mentions
        self.revision = revision
    }

    /// Counted as unread: what people write and admins announce, not join and leave notices.
    public var countsAsUnread: Bool { type == .text || type == .system }
}

/// One emoji on a message and who put it there, in the order they did.
public struct Reaction: Sendable, Equatable, Hashable {
    public var emoji: String
    public var users: [UserID]

    public init(emoji: String, users: [UserID]) {
        self.emoji = emoji
        self.users = users
    }

    /// Distinct emojis one message may carry.
    public static let maxPerMessage = 20

    /// `reactions` with `user`'s `emoji` on or off; the order stays that of each emoji's first use.
    /// Nil when turning it on would add a 21st emoji.
    public static func toggled(_ reactions: [Reaction], emoji: String, user: UserID, on: Bool) -> [Reaction]? {
        var result = reactions
        if let index = result.firstIndex(where: { $0.emoji == emoji }) {
            if on {
                if !result[index].users.contains(user) { result[index].users.append(user) }
            } else {
                result[index].users.removeAll { $0 == user }
                if result[index].users.isEmpty { result.remove(at: index) }
            }
        } else if on {
            guard result.count < maxPerMessage else { return nil }
            result.append(Reaction(emoji: emoji, users: [user]))
        }
        return result
    }
}

/// What a caller asks the store to append; the store assigns `id` and `createdAt`.
public struct NewMessage: Sendable, Equatable {
    public var roomID: RoomID
    public var userID: UserID
    public var text: String
    public var type: MessageType
    /// The users it mentions, as the service resolved them.
    public var mentions: [UserID]
    /// Sent by a member (`send_message`): the write itself re-checks that the sender is still a
    /// participant, neither banned nor muted there (see `ChatRepository.append`).
    public var fromParticipant: Bool

    public init(
        roomID: RoomID, userID: UserID, text: String, type: MessageType = .text, mentions: [UserID] = [],
        fromParticipant: Bool = false
    ) {
        self.roomID = roomID
        self.userID = userID
        self.text = text
        self.type = type
        self.mentions = mentions
        self.fromParticipant = fromParticipant
    }
}

public struct Participant: Sendable, Equatable, Hashable {
    public var roomID: RoomID
    public var userID: UserID
    public var joinedAt: Micros
    public var lastActive: Micros
    /// The read position (schema 6): the last message of the room this user has read (0: none).
    public var lastRead: MessageID
    /// How many unread-counting messages of the room (see `Message.countsAsUnread`) are at or
    /// before `lastRead`: unread = the room's running count now minus this.
    public var lastReadCount: UInt64

    public init(
        roomID: RoomID, userID: UserID, joinedAt: Micros, lastActive: Micros, lastRead: MessageID = 0,
        lastReadCount: UInt64 = 0
    ) {
        self.roomID = roomID
        self.userID = userID
        self.joinedAt = joinedAt
        self.lastActive = lastActive
        self.lastRead = lastRead
        self.lastReadCount = lastReadCount
    }
}

/// What a user chose about how the chat treats them (schema 6).
public struct Preferences: Sendable, Equatable, Hashable {
    /// Others see how far this user has read (`read_updated`, "seen by").
    public var shareReadReceipts: Bool

    public init(shareReadReceipts: Bool = true) {
        self.shareReadReceipts = shareReadReceipts
    }
}

/// A login session. Only the SHA-256 of the token is stored, never the token.
public struct Session: Sendable, Equatable, Hashable {
    public var tokenHash: [UInt8]
    public var userID: UserID
    public var expiresAt: Micros

    public init(tokenHash: [UInt8], userID: UserID, expiresAt: Micros) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.expiresAt = expiresAt
    }
}

/// The rooms every new store starts with: the original design's four.
public let seedRooms: [(name: String, description: String)] = [
    ("general", "General fitness discussion and motivation"),
    ("workout-tips", "Share workout tips and exercise advice"),
    ("nutrition", "Discuss nutrition and meal planning"),
    ("progress", "Share your fitness progress and achievements"),
]
