import ChatModel
import ChatStore
import Configuration
import Foundation

/// The admin CLI's view of a store: it opens the store (safe while the daemon runs: LMDB
/// serialises writers across processes) and hands out `AdminOperations` whose changes are told to
/// a running daemon through its control socket.
public final class Admin {
    public let settings: Settings
    public let store: ChatStore
    /// Every operation, for reading; use `changing()` for anything that writes.
    public let operations: AdminOperations

    /// - Parameter creation: `.mayCreate` only for commands that create something (and `db migrate`).
    public init(settings: Settings, migrate: Bool = false, creation: StoreAccess.Creation = .mustExist) throws {
        var settings = settings
        settings.dataDir = FilePaths.absolute(settings.dataDir)
        self.settings = settings
        let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: migrate, creation: creation)
        self.store = store
        let socketPath = settings.controlSocketPath
        operations = AdminOperations(store: store, notify: { message in Admin.tell(message, socketPath: socketPath) })
    }

    // No deinit closing the store: the `AdminOperations` handed out may outlive this object
    // (`store.admin().changing().disableUser(…)`); the store closes itself when the last
    // reference goes (`ChatStore.deinit`).

    /// The operations, once a running daemon (if any) is known to hear about the change: see
    /// `requireDaemonReachable`.
    public func changing() throws -> AdminOperations {
        try requireDaemonReachable()
        return operations
    }

    /// A change made behind a running daemon's back would not take effect (a disabled user stays
    /// connected): when the pid file names a live daemon, its control socket must answer first.
    public func requireDaemonReachable() throws {
        guard case .some(let pid) = DaemonLock.holder(dataDir: settings.dataDir) else { return }
        let socket = settings.controlSocketPath
        switch ControlClient.send(.ping, socketPath: socket) {
        case .delivered: return
        case .noDaemon, .failed:
            throw StoreAccessError.daemonUnreachable(directory: settings.dataDir, pid: pid, controlSocket: socket)
        }
    }

    /// Tells a running daemon; a missing daemon is fine (the store has the change).
    static func tell(_ message: ControlMessage, socketPath: String) {
        if case .failed(let why) = ControlClient.send(message, socketPath: socketPath) {
            FileHandle.standardError.write(
                Data("warning: the running daemon was not told (\(why)); it sees the change after a restart\n".utf8))
        }
    }
}
