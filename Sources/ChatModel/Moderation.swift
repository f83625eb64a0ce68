import Foundation

/// A moderator's or admin's restriction of one user in one room (issue 16): a mute (no sending,
/// reacting or typing there until it ends) and/or a ban (out of the room, cannot join again).
public struct RoomRestriction: Sendable, Equatable, Hashable {
    public var roomID: RoomID
    public var userID: UserID
    /// When the mute ends; nil when not muted. A mute that ended is no mute.
    public var mutedUntil: Micros?
    public var banned: Bool
    /// Why the user was banned (may be empty); shown to the room in `user_banned`.
    public var reason: String
    /// Who imposed the latest restriction: a user name, or `cli:<unix user>`.
    public var actor: String
    /// When the latest restriction was imposed.
    public var at: Micros

    public init(
        roomID: RoomID, userID: UserID, mutedUntil: Micros? = nil, banned: Bool = false, reason: String = "",
        actor: String, at: Micros
    ) {
        self.roomID = roomID
        self.userID = userID
        self.mutedUntil = mutedUntil
        self.banned = banned
        self.reason = reason
        self.actor = actor
        self.at = at
    }

    /// Muted at `now`.
    public func isMuted(at now: Micros) -> Bool { mutedUntil.map { $0 > now } ?? false }

    /// Nothing left to remember at `now`.
    public func isVoid(at now: Micros) -> Bool { !banned && !isMuted(at: now) }
}

public typealias ReportID = UInt64

/// A member's report of a message to the moderators.
public struct Report: Sendable, Equatable, Hashable {
    public var id: ReportID
    public var roomID: RoomID
    public var messageID: MessageID
    /// The message's author (kept: the message may be deleted later).
    public var authorID: UserID
    public var reporterID: UserID
    public var reason: String
    public var createdAt: Micros
    /// When a moderator marked it dealt with; nil while open.
    public var resolvedAt: Micros?
    public var resolvedBy: String?

    public init(
        id: ReportID, roomID: RoomID, messageID: MessageID, authorID: UserID, reporterID: UserID, reason: String,
        createdAt: Micros, resolvedAt: Micros? = nil, resolvedBy: String? = nil
    ) {
        self.id = id
        self.roomID = roomID
        self.messageID = messageID
        self.authorID = authorID
        self.reporterID = reporterID
        self.reason = reason
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
    }

    public var isOpen: Bool { resolvedAt == nil }
}

/// The outcome of filing a report.
public struct Filing: Sendable, Equatable {
    public var report: Report
    /// The reporter had already reported this message: the earlier report is returned.
    public var duplicate: Bool

    public init(report: Report, duplicate: Bool) {
        self.report = report
        self.duplicate = duplicate
    }
}

/// The outcome of a ban.
public struct Banning: Sendable, Equatable {
    public var restriction: RoomRestriction
    /// The `leave` message stored when the ban ended a membership; nil when the user was not a participant.
    public var leaveMessage: Message?

    public init(restriction: RoomRestriction, leaveMessage: Message?) {
        self.restriction = restriction
        self.leaveMessage = leaveMessage
    }
}

/// The rules every moderation path (socket events, CLI) shares.
public enum ModerationRules {
    /// A mute lasts from one minute to thirty days.
    public static let mutableMinutes = 1...43_200
    /// Reasons (ban, report) are a sentence, not an essay.
    public static var maxReason: Int { TextLimit.reason.maxCharacters }
    /// Actor names in the journal and records for the admin CLI: `cli:<unix user>`.
    public static func cliActor(_ unixUser: String) -> String { "cli:" + SafeText.forLog(unixUser, limit: 64) }

    /// A reason as stored: trimmed; nil when it is too long (`TextLimit.reason`: characters, and
    /// scalars and bytes too, since one character can hold any number of combining marks) or holds
    /// control characters.
    public static func reason(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard TextLimit.reason.allows(trimmed),
            !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return trimmed
    }
}

extension UserRole {
    /// admin > moderator > member.
    public var rank: Int {
        switch self {
        case .member: 0
        case .moderator: 1
        case .admin: 2
        }
    }

    /// May mute or ban a user of `role`: only one ranked below.
    public func outranks(_ role: UserRole) -> Bool { rank > role.rank }
}
