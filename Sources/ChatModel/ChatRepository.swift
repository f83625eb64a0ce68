// The storage contract of the chat. ChatStore implements it on LMDB; domain tests may fake it.
//
// Reads are synchronous (one short read transaction each, never held across an `await`).
// Writes are `async` and return only once their commit is durable on disk.

public enum RepositoryError: Error, Equatable, CustomStringConvertible {
    case roomExists(String)
    case userExists(String)
    case roomNotFound(String)
    case userNotFound(String)
    /// A display name that would pass for another user's name.
    case displayNameTaken(String)
    /// No such message, or it was deleted (a tombstone takes no edits or reactions).
    case messageNotFound(MessageID)
    /// Turning the reaction on would give the message more than `Reaction.maxPerMessage` emojis.
    case tooManyReactions
    /// The user is not a participant of the room (a read position needs one).
    case notParticipant
    /// The user is banned from the room (a join is refused in the same transaction as the check).
    case banned
    /// The user is muted in the room until then (a message is refused in the transaction that would store it).
    case muted(until: Micros)
    case reportNotFound(ReportID)
    /// The disk holding the store is full (ENOSPC or a quota): the write was not applied.
    case storageFull

    public var description: String {
        switch self {
        case .roomExists(let name): "room '\(name)' already exists"
        case .userExists(let name): "user '\(name)' already exists"
        case .roomNotFound(let name): "no room named '\(name)'"
        case .userNotFound(let name): "no user named '\(name)'"
        case .displayNameTaken(let name): "the display name '\(SafeText.forLog(name))' is another user's name"
        case .messageNotFound(let id): "no message \(id)"
        case .tooManyReactions: "a message holds at most \(Reaction.maxPerMessage) different emojis"
        case .notParticipant: "not a participant of the room"
        case .banned: "banned from the room"
        case .muted(let until): "muted in the room until \(ISO8601.format(micros: until))"
        case .reportNotFound(let id): "no report \(id)"
        case .storageFull: "the disk holding the store is full"
        }
    }
}

/// The outcome of making a user a participant of a room.
public struct Membership: Sendable, Equatable {
    public var participant: Participant
    /// The `join` message stored when the user became a participant just now; nil if they already were.
    public var joinMessage: Message?
    /// The read position before this call (nil when the user became a participant just now).
    public var previousRead: MessageID?

    public init(participant: Participant, joinMessage: Message?, previousRead: MessageID? = nil) {
        self.participant = participant
        self.joinMessage = joinMessage
        self.previousRead = previousRead
    }
}

/// What a client that was away missed in a room (see `ChatRepository.recovery`).
public struct RoomRecovery: Sendable, Equatable {
    /// Every message after the client's last one, oldest first.
    public var messages: [Message]
    /// Older messages edited, deleted or reacted to since, as they are now, in change order.
    public var updated: [Message]
    /// The room has messages at or before the client's last one.
    public var hasOlder: Bool

    public init(messages: [Message], updated: [Message], hasOlder: Bool) {
        self.messages = messages
        self.updated = updated
        self.hasOlder = hasOlder
    }
}

/// Where a user stands in one room, for the room list.
public struct RoomReadState: Sendable, Equatable {
    /// The room's latest message (nil: none yet).
    public var lastID: MessageID?
    /// The user's read position, when they are a participant.
    public var lastRead: MessageID?
    /// Unread-counting messages after the position (0 when not a participant).
    public var unread: Int
    /// Unread messages mentioning the user, counted up to the cap asked for.
    public var mentions: Int

    public init(lastID: MessageID?, lastRead: MessageID?, unread: Int, mentions: Int) {
        self.lastID = lastID
        self.lastRead = lastRead
        self.unread = unread
        self.mentions = mentions
    }
}

/// The outcome of moving a read position.
public struct ReadMark: Sendable, Equatable {
    /// The position now.
    public var position: MessageID
    /// It moved (a position never moves back).
    public var moved: Bool

    public init(position: MessageID, moved: Bool) {
        self.position = position
        self.moved = moved
    }
}

/// The outcome of opening a direct room.
public struct DirectRoomOpening: Sendable, Equatable {
    public var room: Room
    /// This call made the room.
    public var created: Bool
    /// Who became a participant just now: both when the room is new, one who had left it, or nobody.
    public var added: [UserID]

    public init(room: Room, created: Bool, added: [UserID]) {
        self.room = room
        self.created = created
        self.added = added
    }
}

/// One page of search results (see `ChatRepository.search`).
public struct SearchPage: Sendable, Equatable {
    /// The matching messages, newest first.
    public var messages: [Message]
    /// Where the next page starts (its `before`): nil when no more can match. It may be set with
    /// fewer than `limit` messages: a search examines a bounded number of candidates per call.
    public var nextBefore: MessageID?

    public init(messages: [Message], nextBefore: MessageID?) {
        self.messages = messages
        self.nextBefore = nextBefore
    }
}

public protocol ChatRepository: Sendable {
    // Rooms
    func allRooms() throws -> [Room]
    func room(id: RoomID) throws -> Room?
    func room(named name: String) throws -> Room?
    func createRoom(name: String, description: String, isPrivate: Bool) async throws -> Room
    /// Marks the room inactive; its history stays.
    func archiveRoom(named name: String) async throws -> Room

    // Users
    func allUsers() throws -> [User]
    func userCount() throws -> Int
    func user(id: UserID) throws -> User?
    /// By name, case-insensitively after Unicode normalisation (see `Names.folded`).
    func user(named name: String) throws -> User?
    /// Refuses a name that folds to a taken one, and a display name that folds to another user's name.
    func createUser(name: String, displayName: String, role: UserRole, passwordHash: String?, hostApp: Bool)
        async throws -> User
    /// Replaces the stored user with the same id (display name, role, password hash, disabled).
    func updateUser(_ user: User) async throws

    // Membership
    func participants(ofRoom room: RoomID) throws -> [Participant]
    func participant(room: RoomID, user: UserID) throws -> Participant?
    func rooms(ofUser user: UserID) throws -> [RoomID]
    /// Makes the user a participant (storing a `join` message the first time) in one transaction.
    /// With `readToEnd`, the read position moves to the room's latest message; a new participant
    /// always starts there. With `onlyIfParticipant`, a user who is not a participant (any more)
    /// is refused with `notParticipant` in the same transaction: a member's join of a private room
    /// must not undo an admin's removal committed since the membership was checked.
    func join(room: RoomID, user: UserID, readToEnd: Bool, onlyIfParticipant: Bool) async throws -> Membership
    /// Ends the membership, storing a `leave` message; nil if the user was not a participant.
    func leave(room: RoomID, user: UserID) async throws -> Message?

    // Messages
    /// Appends a message durably: the message, its room-time index entry, its mention index
    /// entries and the sender's participant (`last_active`, read position) are written in one
    /// transaction. Ids strictly increase. A message `fromParticipant` is refused in that same
    /// transaction when its sender is no participant (`notParticipant`), is banned (`banned`) or
    /// muted (`muted`) there: a ban or mute committed after the sender's checks still stops it.
    func append(_ message: NewMessage) async throws -> Message
    func message(id: MessageID) throws -> Message?
    /// The latest `limit` messages of a room, oldest first.
    func latestMessages(room: RoomID, limit: Int) throws -> [Message]
    /// Up to `limit` messages of the room older than `before`, oldest first.
    func messages(room: RoomID, before: MessageID, limit: Int) throws -> [Message]
    /// Up to `limit` messages of the room newer than `after`, oldest first.
    func messages(room: RoomID, after: MessageID, limit: Int) throws -> [Message]
    /// What changed in the room after message `since`: the newer messages and the older ones
    /// changed since (read from the room-time index and the room's change log, in one snapshot);
    /// nil when either is more than `limit`.
    func recovery(room: RoomID, since: MessageID, limit: Int) throws -> RoomRecovery?

    // Read state and mentions
    /// Moves the user's read position in the room forward to `message` (a message of that room);
    /// never back.
    func markRead(room: RoomID, user: UserID, message: MessageID) async throws -> ReadMark
    /// The user's standing in each room, in one snapshot; mention counts stop at `cap`.
    func readStates(user: UserID, rooms: [RoomID], cap: Int) throws -> [RoomID: RoomReadState]
    /// Messages mentioning the user, newest first, older than `before` when given.
    func mentions(ofUser user: UserID, before: MessageID?, limit: Int) throws -> [Message]
    func preferences(ofUser user: UserID) throws -> Preferences
    func setPreferences(_ preferences: Preferences, ofUser user: UserID) async throws

    // Editing, deleting and reacting: each one write transaction that first re-reads the message,
    // so a message deleted meanwhile is `messageNotFound`, never revived.
    /// Replaces the text of a message and the users it mentions (marking it edited, `edited_at` now).
    /// With `standing`, the author must still be a participant of its room, neither banned nor muted
    /// there, checked in the same write (`notParticipant`, `banned`, `muted`): a ban or mute
    /// committed while the edit was on its way stops it.
    func editMessage(id: MessageID, text: String, mentions: [UserID], standing: Bool) async throws -> Message
    /// Makes the message a tombstone: `deleted`, empty text, its reactions removed.
    func deleteMessage(id: MessageID) async throws -> Message
    /// Turns one user's reaction on or off; returns the message's reactions after it. With
    /// `standing`, the user's standing in the room is checked in the same write, as for an edit.
    func react(message: MessageID, user: UserID, emoji: String, on: Bool, standing: Bool) async throws -> [Reaction]
    /// The message's reactions, in the order of each emoji's first use.
    func reactions(ofMessage id: MessageID) throws -> [Reaction]

    // Search
    /// Up to `limit` live text and system messages of `rooms` matching `query` (see `SearchQuery`),
    /// newest first, with ids below `before` when given. The index follows every append, edit and
    /// delete in the same transaction.
    func search(_ query: SearchQuery, rooms: Set<RoomID>, before: MessageID?, limit: Int) throws -> SearchPage

    // Direct messages
    /// The pair's direct room, created on first use in the same write that checks for it (so two
    /// simultaneous calls make one room); both users are (again) its participants, without `join`
    /// messages.
    func openDirectRoom(_ pair: DirectPair) async throws -> DirectRoomOpening

    // Moderation (schema 7)
    /// The user's restriction in the room, as stored (it may have run out: ask `isMuted(at:)`).
    func restriction(room: RoomID, user: UserID) throws -> RoomRestriction?
    /// Every stored restriction of the user, by room.
    func restrictions(ofUser user: UserID) throws -> [RoomID: RoomRestriction]
    /// Every stored restriction (mutes that ran out included), for `fitchat mod list`.
    func allRestrictions() throws -> [RoomRestriction]
    /// Mutes the user in the room until `until` (a new mute replaces the end of an earlier one).
    func mute(room: RoomID, user: UserID, until: Micros, actor: String) async throws -> RoomRestriction
    /// Ends a mute; false when there was none in force.
    func unmute(room: RoomID, user: UserID) async throws -> Bool
    /// Bans the user from the room and ends their membership (storing a `leave` message), in one
    /// transaction: a join racing the ban either happened before (and is ended) or is refused.
    func ban(room: RoomID, user: UserID, reason: String, actor: String) async throws -> Banning
    /// Lifts a ban; false when there was none.
    func unban(room: RoomID, user: UserID) async throws -> Bool

    // Reports (schema 7)
    /// Files a report of a live message; the same reporter reporting the same message again gets
    /// the earlier report back (`duplicate`).
    func fileReport(room: RoomID, message: MessageID, reporter: UserID, reason: String) async throws -> Filing
    func report(id: ReportID) throws -> Report?
    /// Reports oldest first; only the open ones unless `includeResolved`.
    func reports(includeResolved: Bool) throws -> [Report]
    /// Marks a report dealt with (again: keeps the first resolution).
    func resolveReport(id: ReportID, actor: String) async throws -> Report

    // Sessions
    func createSession(_ session: Session) async throws
    func session(tokenHash: [UInt8]) throws -> Session?
    func deleteSession(tokenHash: [UInt8]) async throws
    /// Removes every session of the user; returns how many there were.
    func deleteSessions(ofUser user: UserID) async throws -> Int
}

extension ChatRepository {
    public func join(room: RoomID, user: UserID) async throws -> Membership {
        try await join(room: room, user: user, readToEnd: true)
    }

    public func join(room: RoomID, user: UserID, readToEnd: Bool) async throws -> Membership {
        try await join(room: room, user: user, readToEnd: readToEnd, onlyIfParticipant: false)
    }

    public func editMessage(id: MessageID, text: String) async throws -> Message {
        try await editMessage(id: id, text: text, mentions: [])
    }

    /// An edit by someone acting for the store (tests, tools): no standing to check.
    public func editMessage(id: MessageID, text: String, mentions: [UserID]) async throws -> Message {
        try await editMessage(id: id, text: text, mentions: mentions, standing: false)
    }

    public func react(message: MessageID, user: UserID, emoji: String, on: Bool) async throws -> [Reaction] {
        try await react(message: message, user: user, emoji: emoji, on: on, standing: false)
    }

    /// A local account (not provisioned by the host app).
    public func createUser(name: String, displayName: String, role: UserRole, passwordHash: String?) async throws
        -> User
    {
        try await createUser(
            name: name, displayName: displayName, role: role, passwordHash: passwordHash, hostApp: false)
    }
}
