import ChatModel
import LMDB

extension ChatStore {
    // MARK: Rooms

    public func createRoom(name: String, description: String, isPrivate: Bool) async throws -> Room {
        let now = self.now()
        return try await write { txn, tables in
            try Self.insertRoom(txn, tables, name: name, description: description, isPrivate: isPrivate, now: now)
        }
    }

    static func insertRoom(
        _ txn: Transaction, _ tables: Tables, name: String, description: String, isPrivate: Bool, now: Micros
    ) throws -> Room {
        guard try txn.get(tables.roomsByName, name) == nil else { throw RepositoryError.roomExists(name) }
        let room = Room(
            id: try tables.nextID(txn, MetaKey.nextRoomID), name: name, description: description,
            createdAt: now, isActive: true, isPrivate: isPrivate)
        try txn.put(tables.rooms, room.id, room)
        try txn.put(tables.roomsByName, name, room.id)
        return room
    }

    public func archiveRoom(named name: String) async throws -> Room {
        try await write { txn, tables in
            guard var room = try Self.room(txn, tables, named: name) else { throw RepositoryError.roomNotFound(name) }
            room.isActive = false
            try txn.put(tables.rooms, room.id, room)
            return room
        }
    }

    // MARK: Users

    public func createUser(name: String, displayName: String, role: UserRole, passwordHash: String?, hostApp: Bool)
        async throws -> User
    {
        let now = self.now()
        return try await write { txn, tables in
            try Self.insertUser(
                txn, tables, name: name, displayName: displayName, role: role, passwordHash: passwordHash,
                hostApp: hostApp, now: now)
        }
    }

    static func insertUser(
        _ txn: Transaction, _ tables: Tables, name: String, displayName: String, role: UserRole,
        passwordHash: String?, hostApp: Bool, now: Micros
    ) throws -> User {
        // Keyed by the folded name: `ALICE` cannot register beside `alice`.
        if let taken = try txn.get(tables.usersByName, Names.folded(name)) {
            // Name the account that holds it, as it is spelt ("bob" when "BOB" was asked for).
            throw RepositoryError.userExists(try txn.get(tables.users, taken)?.name ?? name)
        }
        try Self.requireHonestDisplayName(txn, tables, displayName, of: name, id: nil)
        let user = User(
            id: try tables.nextID(txn, MetaKey.nextUserID), name: name, displayName: displayName,
            role: role, passwordHash: passwordHash, disabled: false, createdAt: now, hostApp: hostApp)
        try txn.put(tables.users, user.id, user)
        try txn.put(tables.usersByName, Names.folded(name), user.id)
        return user
    }

    /// A display name may not pass for another user's name (`mallory` shown as "admin").
    static func requireHonestDisplayName(
        _ txn: Transaction, _ tables: Tables, _ displayName: String, of name: String, id: UserID?
    ) throws {
        let impersonates = Names.displayNameImpersonates(displayName, ownName: name) { key in
            guard let holder = try? txn.get(tables.usersByName, key) else { return false }
            return holder != id
        }
        if impersonates { throw RepositoryError.displayNameTaken(displayName) }
    }

    /// Replaces display name, role, password hash, disabled flag and host-app mark; the name
    /// (and its index) stays.
    public func updateUser(_ user: User) async throws {
        try await write { txn, tables in
            guard let stored = try txn.get(tables.users, user.id) else { throw RepositoryError.userNotFound(user.name) }
            if user.displayName != stored.displayName {
                try Self.requireHonestDisplayName(txn, tables, user.displayName, of: stored.name, id: user.id)
            }
            var updated = user
            updated.name = stored.name
            updated.createdAt = stored.createdAt
            try txn.put(tables.users, user.id, updated)
        }
    }

    /// What else `updateUser(named:…)` does in its transaction besides the change.
    public struct UserChangeEffects: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Ends every session of the user.
        public static let endSessions = UserChangeEffects(rawValue: 1)
        /// Marks every unused sign-in link of the user used (they no longer work).
        public static let revokeSignInLinks = UserChangeEffects(rawValue: 2)
    }

    /// Reads the user inside one write transaction, applies `change` to it and stores the result
    /// (the name and creation time stay): concurrent changes never undo each other. When the
    /// change would leave no active admin (an active admin demoted or disabled while nobody else
    /// is one), nothing is stored and `noAdminLeft(user)` is thrown. Returns the stored user.
    @discardableResult
    public func updateUser(
        named name: String, effects: UserChangeEffects = [],
        noAdminLeft: @escaping @Sendable (User) -> any Error,
        _ change: @escaping @Sendable (inout User) throws -> Void
    ) async throws -> User {
        let now = self.now()
        return try await write { txn, tables in
            guard let id = try txn.get(tables.usersByName, Names.folded(name)),
                let stored = try txn.get(tables.users, id)
            else { throw RepositoryError.userNotFound(name) }
            var user = stored
            try change(&user)
            user.id = stored.id
            user.name = stored.name
            user.createdAt = stored.createdAt
            if user.displayName != stored.displayName {
                try Self.requireHonestDisplayName(txn, tables, user.displayName, of: stored.name, id: stored.id)
            }
            let wasActiveAdmin = stored.role == .admin && !stored.disabled
            let isActiveAdmin = user.role == .admin && !user.disabled
            if wasActiveAdmin, !isActiveAdmin {
                var another = false
                try txn.cursor(tables.users).scan { otherID, other in
                    if otherID != id, other.role == .admin, !other.disabled { another = true }
                    return !another
                }
                guard another else { throw noAdminLeft(stored) }
            }
            try txn.put(tables.users, id, user)
            if effects.contains(.endSessions) {
                let doomed = try txn.entries(tables.sessions).filter { $0.1.userID == id }.map(\.0)
                for key in doomed { try txn.delete(tables.sessions, key) }
            }
            if effects.contains(.revokeSignInLinks) { try Self.revokeSignInLinks(txn, tables, of: id, now: now) }
            return user
        }
    }

    // MARK: Membership

    public func join(room: RoomID, user: UserID, readToEnd: Bool, onlyIfParticipant: Bool) async throws
        -> Membership
    {
        let now = self.now()
        return try await write { txn, tables in
            let key = RoomUserKey(room, user)
            if var existing = try txn.get(tables.participants, key) {
                let previous = existing.lastRead
                if readToEnd, let end = try Self.roomEnd(txn, tables, room), end.id > existing.lastRead {
                    existing.lastRead = end.id
                    existing.lastReadCount = end.count
                    try txn.put(tables.participants, key, existing)
                }
                return Membership(participant: existing, joinMessage: nil, previousRead: previous)
            }
            guard !onlyIfParticipant else { throw RepositoryError.notParticipant }
            try Self.requireRoomAndUser(txn, tables, room: room, user: user)
            try Self.requireNotBanned(txn, tables, room: room, user: user)
            try txn.put(
                tables.participants, key, Participant(roomID: room, userID: user, joinedAt: now, lastActive: now))
            try txn.put(tables.userRooms, RoomUserKey(user, room), Empty())
            // The join message moves the new participant's read position to itself: the end.
            let message = try Self.insertMessage(
                txn, tables, NewMessage(roomID: room, userID: user, text: "joined the room", type: .join), now: now)
            let participant = try txn.get(tables.participants, key)!
            return Membership(participant: participant, joinMessage: message)
        }
    }

    public func leave(room: RoomID, user: UserID) async throws -> Message? {
        let now = self.now()
        return try await write { txn, tables in
            guard try txn.delete(tables.participants, RoomUserKey(room, user)) else { return nil }
            try txn.delete(tables.userRooms, RoomUserKey(user, room))
            return try Self.insertMessage(
                txn, tables, NewMessage(roomID: room, userID: user, text: "left the room", type: .leave), now: now)
        }
    }

    static func requireRoomAndUser(_ txn: Transaction, _ tables: Tables, room: RoomID, user: UserID) throws {
        guard try txn.contains(tables.rooms, room) else { throw RepositoryError.roomNotFound("#\(room)") }
        guard try txn.contains(tables.users, user) else { throw RepositoryError.userNotFound("#\(user)") }
    }

    // MARK: Messages

    public func append(_ message: NewMessage) async throws -> Message {
        let now = self.now()
        return try await write { txn, tables in
            try Self.requireRoomAndUser(txn, tables, room: message.roomID, user: message.userID)
            if message.fromParticipant {
                try Self.requireStanding(txn, tables, room: message.roomID, user: message.userID, now: now)
            }
            return try Self.insertMessage(txn, tables, message, now: now)
        }
    }

    /// Appends many messages in one write (bulk loading, benchmarks); durable when it returns.
    public func appendBatch(_ batch: [NewMessage]) async throws -> [Message] {
        let now = self.now()
        return try await write { txn, tables in
            try batch.map { try Self.insertMessage(txn, tables, $0, now: now) }
        }
    }

    /// Writes the message, its room-time index entry (with the room's running unread count), its
    /// mentions, its search postings and the sender's `last_active` and read position together. created_at never goes
    /// back within a room, so room-time order equals id order.
    static func insertMessage(_ txn: Transaction, _ tables: Tables, _ new: NewMessage, now: Micros) throws -> Message {
        var createdAt = now
        var count: UInt64 = 0
        if let last = try txn.entries(tables.roomTime, prefix: new.roomID.encoded, reverse: true, limit: 1).first {
            createdAt = max(createdAt, last.0.b)
            count = last.1
        }
        var mentioned: [UserID] = []
        for user in new.mentions where user != new.userID && !mentioned.contains(user) { mentioned.append(user) }
        let message = Message(
            id: try tables.nextID(txn, MetaKey.nextMessageID), roomID: new.roomID, userID: new.userID,
            text: new.text, type: new.type, createdAt: createdAt, mentions: mentioned)
        if message.countsAsUnread { count += 1 }
        try txn.put(tables.messages, message.id, message, noOverwrite: true)
        try txn.put(tables.roomTime, RoomTimeKey(message.roomID, createdAt, message.id), count)
        try addMentions(txn, tables, of: message, users: mentioned)
        try indexForSearch(txn, tables, message)
        let participantKey = RoomUserKey(new.roomID, new.userID)
        if var participant = try txn.get(tables.participants, participantKey) {
            participant.lastActive = createdAt
            participant.lastRead = message.id
            participant.lastReadCount = count
            try txn.put(tables.participants, participantKey, participant)
        }
        return message
    }

    static func addMentions(_ txn: Transaction, _ tables: Tables, of message: Message, users: [UserID]) throws {
        for user in users {
            try txn.put(tables.mentions, RoomUserKey(user, message.id), message.roomID)
            try txn.put(tables.roomMentions, UserRoomMessageKey(user, message.roomID, message.id), Empty())
        }
    }

    static func removeMentions(_ txn: Transaction, _ tables: Tables, of message: Message, users: [UserID]) throws {
        for user in users {
            _ = try txn.delete(tables.mentions, RoomUserKey(user, message.id))
            _ = try txn.delete(tables.roomMentions, UserRoomMessageKey(user, message.roomID, message.id))
        }
    }

    /// The room's latest message and the running count there; nil for an empty room.
    static func roomEnd(_ txn: Transaction, _ tables: Tables, _ room: RoomID) throws -> (id: MessageID, count: UInt64)?
    {
        guard let last = try txn.entries(tables.roomTime, prefix: room.encoded, reverse: true, limit: 1).first else {
            return nil
        }
        return (last.0.c, last.1)
    }

    // MARK: Sessions

    public func createSession(_ session: Session) async throws {
        try await write { txn, tables in
            try txn.put(
                tables.sessions, Bytes(session.tokenHash),
                SessionValue(userID: session.userID, expiresAt: session.expiresAt))
        }
    }

    public func deleteSession(tokenHash: [UInt8]) async throws {
        _ = try await write { txn, tables in
            try txn.delete(tables.sessions, Bytes(tokenHash))
        }
    }

    public func deleteSessions(ofUser user: UserID) async throws -> Int {
        try await write { txn, tables in
            let doomed = try txn.entries(tables.sessions).filter { $0.1.userID == user }.map(\.0)
            for key in doomed { try txn.delete(tables.sessions, key) }
            return doomed.count
        }
    }
}

extension ChatStore: ChatRepository {}
