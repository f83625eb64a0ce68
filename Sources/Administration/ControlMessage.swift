import Configuration
import Foundation

/// What the admin CLI tells a running daemon after it changed the store, so the change takes
/// effect without a restart. One JSON object per line over the control socket.
public enum ControlMessage: Codable, Sendable, Equatable {
    /// Rooms were added, archived or their members changed.
    case roomsChanged
    /// A user was added, disabled or changed (password, role): drop their sockets if disabled.
    case userChanged(name: String)
    /// The sessions of a user were revoked: close the sockets that used them.
    case sessionsRevoked(name: String)
    /// A user's membership of a room was ended by an admin: their sockets leave it at once.
    case memberRemoved(room: String, user: String)
    /// An admin posted a notice (a stored `system` message): the room's clients get it as `new_message`.
    case notice(room: String, messageID: UInt64)
    /// A moderator's action from the CLI (`mute`, `unmute`, `ban`, `unban`): the user's clients
    /// hear of it, a banned one leaves the room.
    case moderated(action: String, room: String, user: String)
    /// A message was deleted from the CLI: the room's clients hear `message_deleted`.
    case messageDeleted(room: String, messageID: UInt64)
    /// Liveness check (`fitchat` tells whether a daemon answers).
    case ping

    private enum CodingKeys: String, CodingKey {
        case op, user, room, action
        case messageID = "message_id"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .op) {
        case "rooms_changed": self = .roomsChanged
        case "user_changed": self = .userChanged(name: try c.decode(String.self, forKey: .user))
        case "sessions_revoked": self = .sessionsRevoked(name: try c.decode(String.self, forKey: .user))
        case "ping": self = .ping
        case "moderated":
            self = .moderated(
                action: try c.decode(String.self, forKey: .action), room: try c.decode(String.self, forKey: .room),
                user: try c.decode(String.self, forKey: .user))
        case "message_deleted":
            self = .messageDeleted(
                room: try c.decode(String.self, forKey: .room), messageID: try c.decode(UInt64.self, forKey: .messageID)
            )
        case "notice":
            self = .notice(
                room: try c.decode(String.self, forKey: .room), messageID: try c.decode(UInt64.self, forKey: .messageID)
            )
        case "member_removed":
            self = .memberRemoved(
                room: try c.decode(String.self, forKey: .room), user: try c.decode(String.self, forKey: .user))
        case let op: throw DecodingError.dataCorruptedError(forKey: .op, in: c, debugDescription: "unknown op \(op)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .roomsChanged: try c.encode("rooms_changed", forKey: .op)
        case .userChanged(let name):
            try c.encode("user_changed", forKey: .op)
            try c.encode(name, forKey: .user)
        case .sessionsRevoked(let name):
            try c.encode("sessions_revoked", forKey: .op)
            try c.encode(name, forKey: .user)
        case .memberRemoved(let room, let user):
            try c.encode("member_removed", forKey: .op)
            try c.encode(room, forKey: .room)
            try c.encode(user, forKey: .user)
        case .notice(let room, let id):
            try c.encode("notice", forKey: .op)
            try c.encode(room, forKey: .room)
            try c.encode(id, forKey: .messageID)
        case .moderated(let action, let room, let user):
            try c.encode("moderated", forKey: .op)
            try c.encode(action, forKey: .action)
            try c.encode(room, forKey: .room)
            try c.encode(user, forKey: .user)
        case .messageDeleted(let room, let id):
            try c.encode("message_deleted", forKey: .op)
            try c.encode(room, forKey: .room)
            try c.encode(id, forKey: .messageID)
        case .ping: try c.encode("ping", forKey: .op)
        }
    }
}
