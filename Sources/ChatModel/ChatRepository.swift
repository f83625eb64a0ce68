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

    public var description: String {
        switch self {
        case .roomExists(let name): "room '\(name)' already exists"
        case .userExists(let name): "user '\(name)' already exists"
        case .roomNotFound(let name): "no room named '\(name)'"
        case .userNotFound(let name): "no user named '\(name)'"
        case .displayNameTaken(let name): "the display name '\(SafeText.forLog(name))' is another user's name"
        case .messageNotFound(let id): "no message \(id)"
        case .tooManyReactions: "a message holds at most \(Reaction.maxPerMessage) different emojis"
        }
    }
}

/// The outcome of making a user a participant of a room.
public struct Membership: Sendable, Equatable {
    public var participant: Participant
    /// The `join` message stored when the user became a participant just now; nil if they already were.
    public var joinMessage: Message?

    public init(participant: Participant, joinMessage: Message?) {
        self.participant = participant
        self.joinMessage = joinMessage
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
    func join(room: RoomID, user: UserID) async throws -> Membership
    /// Ends the membership, storing a `leave` message; nil if the user was not a participant.
    func leave(room: RoomID, user: UserID) async throws -> Message?

    // Messages
    /// Appends a message durably: the message, its room-time index entry and the sender's
    /// participant `last_active` are written in one transaction. Ids strictly increase.
    func append(_ message: NewMessage) async throws -> Message
    func message(id: MessageID) throws -> Message?
    /// The latest `limit` messages of a room, oldest first.
    func latestMessages(room: RoomID, limit: Int) throws -> [Message]
    /// Up to `limit` messages of the room older than `before`, oldest first.
    func messages(room: RoomID, before: MessageID, limit: Int) throws -> [Message]
    /// Up to `limit` messages of the room newer than `after`, oldest first.
    func messages(room: RoomID, after: MessageID, limit: Int) throws -> [Message]

    // Editing, deleting and reacting: each one write transaction that first re-reads the message,
    // so a message deleted meanwhile is `messageNotFound`, never revived.
    /// Replaces the text of a message (marking it edited, `edited_at` now).
    func editMessage(id: MessageID, text: String) async throws -> Message
    /// Makes the message a tombstone: `deleted`, empty text, its reactions removed.
    func deleteMessage(id: MessageID) async throws -> Message
    /// Turns one user's reaction on or off; returns the message's reactions after it.
    func react(message: MessageID, user: UserID, emoji: String, on: Bool) async throws -> [Reaction]
    /// The message's reactions, in the order of each emoji's first use.
    func reactions(ofMessage id: MessageID) throws -> [Reaction]

    // Direct messages
    /// The pair's direct room, created on first use in the same write that checks for it (so two
    /// simultaneous calls make one room); both users are (again) its participants, without `join`
    /// messages.
    func openDirectRoom(_ pair: DirectPair) async throws -> DirectRoomOpening

    // Sessions
    func createSession(_ session: Session) async throws
    func session(tokenHash: [UInt8]) throws -> Session?
    func deleteSession(tokenHash: [UInt8]) async throws
    /// Removes every session of the user; returns how many there were.
    func deleteSessions(ofUser user: UserID) async throws -> Int
}

extension ChatRepository {
    /// A local account (not provisioned by the host app).
    public func createUser(name: String, displayName: String, role: UserRole, passwordHash: String?) async throws
        -> User
    {
        try await createUser(
            name: name, displayName: displayName, role: role, passwordHash: passwordHash, hostApp: false)
    }
}
