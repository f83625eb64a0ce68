import Accounts
import ChatModel
import ChatStore
import Configuration
import Foundation

/// The operator's actions behind the admin CLI. Each opens the store (safe while the daemon runs:
/// LMDB serialises writers across processes) and then tells a running daemon what changed.
public final class Admin {
    public let settings: Settings
    public let store: ChatStore

    /// - Parameter creation: `.mayCreate` only for commands that create something (and `db migrate`).
    public init(settings: Settings, migrate: Bool = false, creation: StoreAccess.Creation = .mustExist) throws {
        var settings = settings
        settings.dataDir = FilePaths.absolute(settings.dataDir)
        self.settings = settings
        self.store = try StoreAccess.open(dataDir: settings.dataDir, migrate: migrate, creation: creation)
    }

    /// The store this command works on, for the operator (printed by the CLI on standard error).

    deinit { store.close() }

    // MARK: Users

    public func addUser(name: String, displayName: String?, admin: Bool, password: String?) async throws -> User {
        try requireDaemonReachable()
        try Names.validateUserName(name)
        let displayName = try Admin.displayName(displayName, or: name)
        let hash = try password.map { try PasswordHasher().hash($0) }
        let user = try await store.createUser(
            name: name, displayName: displayName, role: admin ? .admin : .member, passwordHash: hash)
        notify(.userChanged(name: name))
        return user
    }

    public func setPassword(name: String, password: String) async throws {
        try requireDaemonReachable()
        var user = try requireUser(name)
        user.passwordHash = try PasswordHasher().hash(password)
        try await store.updateUser(user)
        // A new password ends every existing session of the account.
        _ = try await store.deleteSessions(ofUser: user.id)
        notify(.sessionsRevoked(name: name))
    }

    public func disableUser(name: String) async throws {
        try requireDaemonReachable()
        var user = try requireUser(name)
        user.disabled = true
        try await store.updateUser(user)
        _ = try await store.deleteSessions(ofUser: user.id)
        notify(.userChanged(name: name))
    }

    public func users() throws -> [User] { try store.allUsers() }

    /// Lets (or no longer lets) host-app tokens sign in this account. Host-app users are marked
    /// when a token provisions them; a local account is only ever linked by this explicit step.
    public func linkHostApp(name: String, linked: Bool) async throws {
        try requireDaemonReachable()
        var user = try requireUser(name)
        user.hostApp = linked
        try await store.updateUser(user)
        notify(.userChanged(name: user.name))
    }

    /// Issues a session token for scripts, bots and tests; `create` makes the user first if needed
    /// (a local user without a password: session tokens sign in any user, host-app tokens do not).
    public func issueToken(userName: String, create: Bool) async throws -> String {
        try requireDaemonReachable()
        var user = try store.user(named: userName)
        if user == nil, create {
            user = try await addUser(name: userName, displayName: nil, admin: false, password: nil)
        }
        guard let user else { throw RepositoryError.userNotFound(userName) }
        guard !user.disabled else { throw AdminError.userDisabled(name: userName) }
        let token = SessionTokens.generate()
        try await store.createSession(
            Session(tokenHash: SessionTokens.hash(token), userID: user.id, expiresAt: SessionTokens.expiry(from: SystemClock().wallMicros())))
        return token
    }

    // MARK: Rooms

    /// Room descriptions are one line in the room list: bounded like a short message.
    public static let maxRoomDescription = 200

    public func addRoom(name: String, description: String, isPrivate: Bool) async throws -> Room {
        guard description.count <= Admin.maxRoomDescription, description.utf8.count <= 4 * Admin.maxRoomDescription else {
            throw AdminError.descriptionTooLong(characters: description.count, limit: Admin.maxRoomDescription)
        }
        guard !DisplayName.hasDisguisingCharacters(description) else {
            throw AdminError.descriptionUnsafe
        }
        try requireDaemonReachable()
        try Names.validateRoomName(name)
        let room = try await store.createRoom(name: name, description: description, isPrivate: isPrivate)
        notify(.roomsChanged)
        return room
    }

    public func rooms() throws -> [Room] { try store.allRooms() }

    public func archiveRoom(name: String) async throws {
        try requireDaemonReachable()
        _ = try await store.archiveRoom(named: name)
        notify(.roomsChanged)
    }

    public func addMember(room roomName: String, user userName: String) async throws -> Bool {
        try requireDaemonReachable()
        let room = try requireRoom(roomName)
        guard room.isActive else { throw AdminError.roomArchived(name: room.name) }
        let user = try requireUser(userName)
        let membership = try await store.join(room: room.id, user: user.id)
        notify(.roomsChanged)
        return membership.joinMessage != nil
    }

    public func removeMember(room roomName: String, user userName: String) async throws -> Bool {
        try requireDaemonReachable()
        let room = try requireRoom(roomName)
        let user = try requireUser(userName)
        let left = try await store.leave(room: room.id, user: user.id)
        // The daemon takes every socket of the user out of the room and tells the others.
        if left != nil { notify(.memberRemoved(room: room.name, user: user.name)) }
        return left != nil
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

    /// A change made behind a running daemon's back would not take effect (a disabled user stays
    /// connected): when the pid file names a live daemon, its control socket must answer first.
    func requireDaemonReachable() throws {
        guard case .some(let pid) = DaemonLock.holder(dataDir: settings.dataDir) else { return }
        let socket = settings.controlSocketPath
        switch ControlClient.send(.ping, socketPath: socket) {
        case .delivered: return
        case .noDaemon, .failed:
            throw StoreAccessError.daemonUnreachable(directory: settings.dataDir, pid: pid, controlSocket: socket)
        }
    }

    /// Tells a running daemon; a missing daemon is fine (the store has the change).
    func notify(_ message: ControlMessage) {
        if case .failed(let why) = ControlClient.send(message, socketPath: settings.controlSocketPath) {
            FileHandle.standardError.write(Data("warning: the running daemon was not told (\(why)); it sees the change after a restart\n".utf8))
        }
    }
}


