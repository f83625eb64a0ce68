import Accounts
import ChatModel
import ChatStore
import Foundation

/// Every admin action on an open store, shared by the CLI (`Admin`: it opens the store and tells a
/// running daemon through the control socket) and the daemon's admin page (its own store, and a
/// `notify` that applies the change to connected clients directly). Each write tells `notify`
/// what changed once the change is durable.
///
/// Codes of invites and sign-in links are 32 random bytes (256 bits) in base64url; only their
/// SHA-256 is stored. Password hashing (scrypt, ~0.4 s) runs through `hashPassword`, by default on
/// a GCD thread, never on the cooperative pool.
public struct AdminOperations: Sendable {
    public let store: ChatStore
    let notify: @Sendable (ControlMessage) -> Void
    let hashPassword: @Sendable (String) async throws -> String

    /// Room descriptions are one line in the room list: bounded like a short message.
    public static let maxRoomDescription = 200
    /// How long a one-time sign-in link lasts unless told otherwise.
    public static let defaultSignInLinkLifetime: Duration = .seconds(7 * 24 * 3600)
    /// What `createdBy` says for invites made with the CLI.
    public static let cliCreator = "cli"

    /// - Parameters:
    ///   - notify: called after each durable change with what connected clients must see.
    ///   - hashPassword: turns a password into its stored hash; the daemon passes its `PasswordWork`.
    public init(
        store: ChatStore, notify: @escaping @Sendable (ControlMessage) -> Void,
        hashPassword: @escaping @Sendable (String) async throws -> String = AdminOperations.hashOffThePool
    ) {
        self.store = store
        self.notify = notify
        self.hashPassword = hashPassword
    }

    /// scrypt through `PasswordWork` (a GCD thread, one at a time): the CLI's default.
    public static let hashOffThePool: @Sendable (String) async throws -> String = { password in
        try await cliPasswordWork.run { try PasswordHasher().hash(password) }
    }
    private static let cliPasswordWork = PasswordWork(slots: 1, queueLimit: 64)

    /// The store's clock: what expiry is judged by (`invite.state(at: operations.now)`).
    public var now: Micros { store.currentTime }

    // MARK: Users

    /// Creates a local account. `password` nil makes one that cannot sign in until it gets a
    /// password (give it a sign-in link: `signInLink(forUser:)`).
    public func addUser(name: String, displayName: String?, role: UserRole, password: String?) async throws -> User {
        try Names.validateUserName(name)
        let displayName = try Self.displayName(displayName, or: name)
        let hash = try await password.asyncMap { try await hashPassword(try Self.validPassword($0)) }
        let user = try await store.createUser(name: name, displayName: displayName, role: role, passwordHash: hash)
        notify(.userChanged(name: user.name))
        return user
    }

    /// Sets a password and ends every session of the account; its outstanding sign-in links stop working.
    public func setPassword(name: String, password: String) async throws {
        let hash = try await hashPassword(try Self.validPassword(password))
        let user = try await changeUser(name, effects: [.endSessions, .revokeSignInLinks]) { $0.passwordHash = hash }
        notify(.sessionsRevoked(name: user.name))
    }

    /// The account can no longer sign in; its sessions end, its connections close and its
    /// outstanding sign-in links stop working (enabling it again does not bring them back).
    /// The last active admin cannot be disabled.
    public func disableUser(name: String) async throws {
        let user = try await changeUser(name, effects: [.endSessions, .revokeSignInLinks]) { $0.disabled = true }
        notify(.userChanged(name: user.name))
    }

    public func enableUser(name: String) async throws {
        let user = try await changeUser(name) { $0.disabled = false }
        notify(.userChanged(name: user.name))
    }

    /// Changes the display name (same rules as at creation; empty = the user name) and/or the
    /// role; nil leaves it. The last active admin cannot be made a member.
    @discardableResult
    public func setUser(name: String, displayName: String?, role: UserRole?) async throws -> User {
        let displayName = try displayName.map { try Self.displayName($0, or: try requireUser(name).name) }
        let user = try await changeUser(name) { user in
            if let displayName { user.displayName = displayName }
            if let role { user.role = role }
        }
        notify(.userChanged(name: user.name))
        return user
    }

    /// Every change of a user goes through here: the store re-reads the user, applies `change`
    /// and checks that an active admin remains, all in one write transaction, so two concurrent
    /// changes can neither undo each other nor demote or disable the last two admins together.
    @discardableResult
    func changeUser(
        _ name: String, effects: ChatStore.UserChangeEffects = [],
        _ change: @escaping @Sendable (inout User) throws -> Void
    ) async throws -> User {
        try await store.updateUser(
            named: name, effects: effects, noAdminLeft: { AdminError.lastAdmin(name: $0.name) }, change)
    }

    /// Every user, by id; with `search`, those whose name or display name contains it (case-insensitively).
    public func users(matching search: String? = nil) throws -> [User] {
        let all = try store.allUsers()
        guard let search = search?.trimmingCharacters(in: .whitespaces), !search.isEmpty else { return all }
        return all.filter {
            $0.name.range(of: search, options: [.caseInsensitive]) != nil
                || $0.displayName.range(of: search, options: [.caseInsensitive]) != nil
        }
    }

    public func user(named name: String) throws -> User? { try store.user(named: name) }

    /// A fresh one-time sign-in link for the user (`/welcome/CODE`): "reset password", or the way
    /// in for an account made without one. Returns the record and the code (shown once).
    public func signInLink(forUser name: String, lifetime: Duration = AdminOperations.defaultSignInLinkLifetime)
        async throws -> (link: SignInLink, code: String)
    {
        let user = try requireUser(name)
        guard !user.disabled else { throw AdminError.userDisabled(name: user.name) }
        let micros = try Self.micros(lifetime)
        let code = OneTimeCode.generate()
        let link = try await store.createSignInLink(codeHash: OneTimeCode.hash(code), user: user.id, lifetime: micros)
        return (link, code)
    }

    /// Lets (or no longer lets) host-app tokens sign in this account.
    public func linkHostApp(name: String, linked: Bool) async throws {
        let user = try await changeUser(name) { $0.hostApp = linked }
        notify(.userChanged(name: user.name))
    }

    /// A session token for scripts, bots and tests; `create` makes a local user without a password first.
    public func issueToken(userName: String, create: Bool) async throws -> String {
        var user = try store.user(named: userName)
        if user == nil, create {
            user = try await addUser(name: userName, displayName: nil, role: .member, password: nil)
        }
        guard let user else { throw RepositoryError.userNotFound(userName) }
        guard !user.disabled else { throw AdminError.userDisabled(name: userName) }
        let token = SessionTokens.generate()
        try await store.createSession(
            Session(tokenHash: SessionTokens.hash(token), userID: user.id, expiresAt: SessionTokens.expiry(from: now)))
        return token
    }

    // MARK: Invites

    /// A new invite (`/join/CODE`). `uses` nil = unlimited (else ≥ 1); `expiresIn` nil = never.
    public func createInvite(uses: Int?, expiresIn: Duration?, role: UserRole, createdBy: String) async throws -> (
        invite: Invite, code: String
    ) {
        if let uses, uses < 1 { throw AdminError.invalidInviteUses(uses) }
        let lifetime = try expiresIn.map { try Self.micros($0) }
        let code = OneTimeCode.generate()
        let invite = try await store.createInvite(
            codeHash: OneTimeCode.hash(code), role: role, usesAllowed: uses,
            expiresIn: lifetime, createdBy: createdBy)
        return (invite, code)
    }

    /// Every invite, oldest first (revoked, expired and used-up ones too: see `Invite.state(at:)`).
    public func invites() throws -> [Invite] { try store.allInvites() }

    @discardableResult
    public func revokeInvite(id: InviteID) async throws -> Invite { try await store.revokeInvite(id: id) }

    /// The invite a code names, whatever its state (nil: no such code). For the join page.
    public func invite(code: String) throws -> Invite? {
        guard OneTimeCode.isWellFormed(code) else { return nil }
        return try store.invite(codeHash: OneTimeCode.hash(code))
    }

    /// Makes an account from an invite: checks the names and password, then creates the user and
    /// counts the use in one write transaction (two people can never both take the last use).
    /// Throws `InviteError`, `RepositoryError` (name taken, display name taken), `ChatError`
    /// (a name, display name or password that breaks the rules).
    public func redeemInvite(code: String, userName: String, displayName: String?, password: String) async throws
        -> User
    {
        guard let found = try invite(code: code) else { throw InviteError.unknown }
        // Refuse a dead invite before spending scrypt on it; the write checks again.
        if let refusal = InviteError(found.state(at: now)) { throw refusal }
        try Names.validateUserName(userName)
        let displayName = try Self.displayName(displayName, or: userName)
        let hash = try await hashPassword(try Self.validPassword(password))
        let user = try await store.redeemInvite(
            codeHash: OneTimeCode.hash(code), name: userName, displayName: displayName, passwordHash: hash)
        notify(.userChanged(name: user.name))
        return user
    }

    // MARK: One-time sign-in links

    /// The link a code names, whatever its state (nil: no such code). For the welcome page.
    public func signInLink(code: String) throws -> SignInLink? {
        guard OneTimeCode.isWellFormed(code) else { return nil }
        return try store.signInLink(codeHash: OneTimeCode.hash(code))
    }

    /// Sets the password of the link's user, ends their other sessions and marks the link used,
    /// in one transaction. Throws `SignInLinkError` or `ChatError` (a password against the rules).
    public func redeemSignInLink(code: String, password: String) async throws -> User {
        guard let found = try signInLink(code: code) else { throw SignInLinkError.unknown }
        switch found.state(at: now) {
        case .used: throw SignInLinkError.used
        case .expired: throw SignInLinkError.expired
        case .valid: break
        }
        let hash = try await hashPassword(try Self.validPassword(password))
        let user = try await store.redeemSignInLink(codeHash: OneTimeCode.hash(code), passwordHash: hash)
        notify(.sessionsRevoked(name: user.name))
        return user
    }

    // MARK: Rooms

    public func addRoom(name: String, description: String, isPrivate: Bool) async throws -> Room {
        try Self.validateDescription(description)
        try Names.validateRoomName(name)
        guard !name.hasPrefix(DirectPair.roomNamePrefix) else { throw AdminError.reservedRoomName(name: name) }
        let room = try await store.createRoom(name: name, description: description, isPrivate: isPrivate)
        notify(.roomsChanged)
        return room
    }

    public func rooms() throws -> [Room] { try store.allRooms() }

    @discardableResult
    public func archiveRoom(name: String) async throws -> Room {
        let room = try await store.archiveRoom(named: name)
        notify(.roomsChanged)
        return room
    }

    @discardableResult
    public func unarchiveRoom(name: String) async throws -> Room {
        let room = try await store.setRoomActive(named: name, true)
        notify(.roomsChanged)
        return room
    }

    @discardableResult
    public func setRoomDescription(name: String, description: String) async throws -> Room {
        try Self.validateDescription(description)
        let room = try await store.setRoomDescription(named: name, description: description)
        notify(.roomsChanged)
        return room
    }

    /// Makes the user a participant; false if they already were.
    @discardableResult
    public func addMember(room roomName: String, user userName: String) async throws -> Bool {
        let room = try requireRoom(roomName)
        guard room.isActive else { throw AdminError.roomArchived(name: room.name) }
        guard room.direct == nil else { throw AdminError.directRoom(name: room.name) }
        let user = try requireUser(userName)
        let membership = try await store.join(room: room.id, user: user.id)
        notify(.roomsChanged)
        return membership.joinMessage != nil
    }

    /// Ends the membership; false if there was none. The user's connections leave the room at once.
    @discardableResult
    public func removeMember(room roomName: String, user userName: String) async throws -> Bool {
        let room = try requireRoom(roomName)
        let user = try requireUser(userName)
        let left = try await store.leave(room: room.id, user: user.id)
        if left != nil { notify(.memberRemoved(room: room.name, user: user.name)) }
        return left != nil
    }

    /// The room's participants, by user id.
    public func members(room roomName: String) throws -> [User] {
        let room = try requireRoom(roomName)
        return try store.participants(ofRoom: room.id).compactMap { try store.user(id: $0.userID) }.sorted {
            $0.id < $1.id
        }
    }

    /// Stores a `system` message in the room (text rules as for chat messages) and sends it to
    /// the room's connected clients as `new_message`. It is signed by `author` (an active admin's
    /// user name: the admin page passes the signed-in admin; anyone else is refused with
    /// `AdminError.notAnAdminSigner`) or, when nil, by the first active admin.
    public func postNotice(room roomName: String, text: String, author: String? = nil) async throws -> Message {
        let text = try MessageText.validate(text).get()
        let room = try requireRoom(roomName)
        guard room.isActive else { throw AdminError.roomArchived(name: room.name) }
        let signer: User
        if let author {
            signer = try requireUser(author)
            guard signer.role == .admin, !signer.disabled else { throw AdminError.notAnAdminSigner(name: signer.name) }
        } else {
            guard let first = try store.allUsers().first(where: { $0.role == .admin && !$0.disabled }) else {
                throw AdminError.noAdmin
            }
            signer = first
        }
        let message = try await store.append(NewMessage(roomID: room.id, userID: signer.id, text: text, type: .system))
        notify(.notice(room: room.name, messageID: message.id))
        return message
    }

    // MARK: Status

    public func status() throws -> AdminStatus {
        let status = try store.status()
        let counts = try store.counts()
        return AdminStatus(
            storeBytes: status.fileSize, users: counts.users, rooms: counts.rooms, messages: counts.messages,
            schemaVersion: status.schemaVersion, lastBackupAt: try store.lastBackupAt())
    }

    // MARK: Who may act

    /// The user, read from the store now, if they are an active admin; throws `AdminError.notAdmin`
    /// otherwise. The admin page calls it for every request, so a role change or a disabled
    /// account takes effect at once, whatever the session was opened as.
    @discardableResult
    public func requireAdmin(userID: UserID) throws -> User {
        guard let user = try store.user(id: userID), user.role == .admin, !user.disabled else {
            throw AdminError.notAdmin
        }
        return user
    }

    // MARK: Helpers

    func requireUser(_ name: String) throws -> User {
        guard let user = try store.user(named: name) else { throw RepositoryError.userNotFound(name) }
        return user
    }

    func requireRoom(_ name: String) throws -> Room {
        guard let room = try store.room(named: name) else { throw RepositoryError.roomNotFound(name) }
        return room
    }

    /// The display name to store: the given one within `DisplayName`'s rules, or the user name.
    static func displayName(_ given: String?, or name: String) throws -> String {
        let valid = try DisplayName.validate(given ?? "").get()
        return valid.isEmpty ? name : valid
    }

    static func validPassword(_ password: String) throws -> String {
        try PasswordRules.validate(password).get()
    }

    static func validateDescription(_ description: String) throws {
        guard description.count <= maxRoomDescription, description.utf8.count <= 4 * maxRoomDescription else {
            throw AdminError.descriptionTooLong(characters: description.count, limit: maxRoomDescription)
        }
        guard !DisplayName.hasDisguisingCharacters(description) else { throw AdminError.descriptionUnsafe }
    }

    /// A positive duration in microseconds (at most 100 years).
    static func micros(_ duration: Duration) throws -> Micros {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, duration > .zero, seconds <= 100 * 366 * 24 * 3600 else { throw AdminError.invalidLifetime }
        return Micros(seconds) * 1_000_000 + Micros(attoseconds / 1_000_000_000_000)
    }
}

/// What the admin page's status panel shows.
public struct AdminStatus: Sendable, Equatable {
    /// Size of `data.mdb` in bytes.
    public var storeBytes: Int
    public var users: Int
    public var rooms: Int
    public var messages: Int
    public var schemaVersion: UInt32
    /// When `fitchat backup` last succeeded; nil = never.
    public var lastBackupAt: Micros?
}

/// The random codes of invites and sign-in links: 32 bytes from the system CSPRNG, base64url
/// (43 characters); only their SHA-256 is stored.
public enum OneTimeCode {
    public static func generate() -> String { SessionTokens.generate() }

    public static func hash(_ code: String) -> [UInt8] { SessionTokens.hash(code) }

    /// 43 base64url characters: anything else cannot be a code (and is not looked up).
    public static func isWellFormed(_ code: String) -> Bool {
        code.utf8.count == 43 && Base64URL.decode(Substring(code))?.count == 32
    }
}

/// Lifetimes as an operator types them: `7d`, `12h`, `30m`, `90s`, or `never`.
public enum Lifetime {
    /// nil for `never`; throws for anything that is not a positive whole number and a unit.
    public static func parse(_ text: String) throws -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "never" { return nil }
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else {
            throw AdminError.invalidLifetimeText(text)
        }
        let seconds: Int64
        switch unit {
        case "d": seconds = 86_400
        case "h": seconds = 3600
        case "m": seconds = 60
        case "s": seconds = 1
        default: throw AdminError.invalidLifetimeText(text)
        }
        guard count <= 100 * 366 * 86_400 / seconds else { throw AdminError.invalidLifetimeText(text) }
        return .seconds(count * seconds)
    }
}
