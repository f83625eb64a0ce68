import ChatModel
import LMDB

/// Invites and one-time sign-in links (schema 4). The store only ever sees the SHA-256 of a code;
/// making and hashing codes is the caller's (Administration's) job. Every check that decides
/// whether a code may be used runs in the same write transaction as what it allows.
extension ChatStore {
    // MARK: Invites

    /// Stores a new invite for the code whose SHA-256 is `codeHash`, expiring `expiresIn` µs after
    /// it is made (nil: never).
    public func createInvite(
        codeHash: [UInt8], role: UserRole, usesAllowed: Int?, expiresIn: Micros?, createdBy: String
    ) async throws -> Invite {
        let now = self.now()
        return try await write { txn, tables in
            guard try txn.get(tables.invitesByHash, Bytes(codeHash)) == nil else { throw InviteError.unknown }
            let invite = Invite(
                id: try tables.nextID(txn, MetaKey.nextInviteID), codeHash: codeHash, role: role,
                usesAllowed: usesAllowed, uses: 0, expiresAt: expiresIn.map { now + $0 }, createdBy: createdBy,
                createdAt: now)
            try txn.put(tables.invites, invite.id, invite, noOverwrite: true)
            try txn.put(tables.invitesByHash, Bytes(codeHash), invite.id)
            return invite
        }
    }

    /// Every invite, oldest first.
    public func allInvites() throws -> [Invite] {
        try read { txn in try txn.entries(tables.invites).map(\.1) }
    }

    public func invite(id: InviteID) throws -> Invite? {
        try read { txn in try txn.get(tables.invites, id) }
    }

    public func invite(codeHash: [UInt8]) throws -> Invite? {
        try read { txn in
            guard let id = try txn.get(tables.invitesByHash, Bytes(codeHash)) else { return nil }
            return try txn.get(tables.invites, id)
        }
    }

    /// Marks the invite revoked (it stays listed); returns it.
    public func revokeInvite(id: InviteID) async throws -> Invite {
        try await write { txn, tables in
            guard var invite = try txn.get(tables.invites, id) else { throw InviteError.notFound(id: id) }
            invite.revoked = true
            try txn.put(tables.invites, id, invite)
            return invite
        }
    }

    /// Makes an account with the invite's role and counts the use, in one transaction: the
    /// invite's state is checked there too, so concurrent redeemers can never overshoot its uses.
    /// Throws `InviteError` (unknown, revoked, expired, used up) or `RepositoryError` (name taken…).
    public func redeemInvite(codeHash: [UInt8], name: String, displayName: String, passwordHash: String?) async throws
        -> User
    {
        let now = self.now()
        return try await write { txn, tables in
            guard let id = try txn.get(tables.invitesByHash, Bytes(codeHash)),
                var invite = try txn.get(tables.invites, id)
            else {
                throw InviteError.unknown
            }
            if let refusal = InviteError(invite.state(at: now)) { throw refusal }
            let user = try Self.insertUser(
                txn, tables, name: name, displayName: displayName, role: invite.role,
                passwordHash: passwordHash, hostApp: false, now: now)
            invite.uses += 1
            try txn.put(tables.invites, id, invite)
            return user
        }
    }

    // MARK: One-time sign-in links

    /// Stores a one-time sign-in link for `user` that works for `lifetime` µs; the user's earlier
    /// unused links stop working.
    public func createSignInLink(codeHash: [UInt8], user: UserID, lifetime: Micros) async throws -> SignInLink {
        let now = self.now()
        return try await write { txn, tables in
            guard try txn.contains(tables.users, user) else { throw RepositoryError.userNotFound("#\(user)") }
            guard try txn.get(tables.signInLinksByHash, Bytes(codeHash)) == nil else { throw SignInLinkError.unknown }
            // Only the newest link works: a reset link supersedes the ones before it.
            try Self.revokeSignInLinks(txn, tables, of: user, now: now)
            let link = SignInLink(
                id: try tables.nextID(txn, MetaKey.nextSignInLinkID), codeHash: codeHash, userID: user,
                createdAt: now, expiresAt: now + lifetime)
            try txn.put(tables.signInLinks, link.id, link, noOverwrite: true)
            try txn.put(tables.signInLinksByHash, Bytes(codeHash), link.id)
            return link
        }
    }

    public func signInLink(codeHash: [UInt8]) throws -> SignInLink? {
        try read { txn in
            guard let id = try txn.get(tables.signInLinksByHash, Bytes(codeHash)) else { return nil }
            return try txn.get(tables.signInLinks, id)
        }
    }

    /// Every sign-in link, oldest first.
    public func allSignInLinks() throws -> [SignInLink] {
        try read { txn in try txn.entries(tables.signInLinks).map(\.1) }
    }

    /// Sets the user's password, ends all their sessions and marks the link (and the user's other
    /// unused links) used, in one transaction; returns the updated user. Throws `SignInLinkError`.
    public func redeemSignInLink(codeHash: [UInt8], passwordHash: String) async throws -> User {
        let now = self.now()
        return try await write { txn, tables in
            guard let id = try txn.get(tables.signInLinksByHash, Bytes(codeHash)),
                var link = try txn.get(tables.signInLinks, id)
            else {
                throw SignInLinkError.unknown
            }
            switch link.state(at: now) {
            case .used: throw SignInLinkError.used
            case .expired: throw SignInLinkError.expired
            case .valid: break
            }
            guard var user = try txn.get(tables.users, link.userID) else { throw SignInLinkError.unknown }
            guard !user.disabled else { throw SignInLinkError.userDisabled }
            user.passwordHash = passwordHash
            try txn.put(tables.users, user.id, user)
            let doomed = try txn.entries(tables.sessions).filter { $0.1.userID == user.id }.map(\.0)
            for key in doomed { try txn.delete(tables.sessions, key) }
            link.usedAt = now
            try txn.put(tables.signInLinks, id, link)
            try Self.revokeSignInLinks(txn, tables, of: user.id, now: now)
            return user
        }
    }

    /// Marks every still valid sign-in link of `user` used at `now`: none of them works any more
    /// (expired ones stay expired, so the welcome page says so).
    static func revokeSignInLinks(_ txn: Transaction, _ tables: Tables, of user: UserID, now: Micros) throws {
        let live = try txn.entries(tables.signInLinks).filter { $0.1.userID == user && $0.1.state(at: now) == .valid }
        for (id, var link) in live {
            link.usedAt = now
            try txn.put(tables.signInLinks, id, link)
        }
    }

    // MARK: Backups

    /// Records that a backup succeeded now (`fitchat backup`), for the status report.
    public func recordBackup() async throws {
        let now = self.now()
        try await write { txn, tables in try tables.setMetaU64(txn, MetaKey.lastBackupAt, UInt64(bitPattern: now)) }
    }

    /// When a backup last succeeded; nil if never.
    public func lastBackupAt() throws -> Micros? {
        try read { txn in try tables.metaU64(txn, MetaKey.lastBackupAt).map { Micros(bitPattern: $0) } }
    }

    // MARK: Rooms

    /// Sets whether the room is active (unarchive: `true`); returns it.
    public func setRoomActive(named name: String, _ active: Bool) async throws -> Room {
        try await write { txn, tables in
            guard var room = try Self.room(txn, tables, named: name) else { throw RepositoryError.roomNotFound(name) }
            room.isActive = active
            try txn.put(tables.rooms, room.id, room)
            return room
        }
    }

    public func setRoomDescription(named name: String, description: String) async throws -> Room {
        try await write { txn, tables in
            guard var room = try Self.room(txn, tables, named: name) else { throw RepositoryError.roomNotFound(name) }
            room.description = description
            try txn.put(tables.rooms, room.id, room)
            return room
        }
    }

    /// Counts for the admin page: users, rooms and messages.
    public func counts() throws -> (users: Int, rooms: Int, messages: Int) {
        try read { txn in (try txn.count(tables.users), try txn.count(tables.rooms), try txn.count(tables.messages)) }
    }
}
