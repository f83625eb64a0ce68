import ChatStore
import Configuration
import Foundation

/// Opens the chat store for the CLI and the daemon, with the rules an operator can rely on:
/// only commands that create something may create a store, only in a directory that exists, and
/// every message names the absolute path.
public enum StoreAccess {
    public enum Creation: Sendable {
        /// Read commands and changes to existing records: a missing store is an error.
        case mustExist
        /// `serve`, `db migrate` and commands that create records: a new store in an existing directory.
        case mayCreate
    }

    public static func open(dataDir: String, migrate: Bool, creation: Creation = .mustExist) throws -> ChatStore {
        let directory = FilePaths.absolute(dataDir)
        try requireStore(in: directory, creation: creation)
        // Also when the open is refused (an older schema, say): the lock file it made stays.
        defer { matchOwner(of: directory) }
        return try ChatStore.open(directory: directory, migrate: migrate)
    }

    /// Throws a sentence for the operator when `directory` cannot hold (or does not hold) a store.
    public static func requireStore(in directory: String, creation: Creation) throws {
        var isDirectory: ObjCBool = false
        var info = stat()
        if stat(directory, &info) != 0, errno == EACCES {
            throw StoreAccessError.permissionDenied(directory: directory, uid: geteuid())
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            switch creation {
            case .mustExist:
                throw StoreAccessError.directoryMissing(directory: directory, storeExpected: true)
            case .mayCreate:
                throw StoreAccessError.directoryMissing(directory: directory, storeExpected: false)
            }
        }
        guard isDirectory.boolValue else { throw StoreAccessError.notADirectory(directory: directory) }
        if creation == .mustExist,
            !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("data.mdb"))
        {
            throw StoreAccessError.noStore(directory: directory)
        }
    }

    /// An operator running the CLI as root must not leave root-owned store files behind that the
    /// service's own user could no longer open: files in the data dir take the dir's owner.
    static func matchOwner(of dataDir: String) {
        guard geteuid() == 0 else { return }
        var dir = stat()
        guard stat(dataDir, &dir) == 0, dir.st_uid != 0 else { return }
        for name in ["data.mdb", "lock.mdb", "fitchat.pid"] {
            var file = stat()
            let path = (dataDir as NSString).appendingPathComponent(name)
            if stat(path, &file) == 0, file.st_uid == 0 { _ = chown(path, dir.st_uid, dir.st_gid) }
        }
    }
}
