import ChatStore
import Foundation

/// The one place that opens the chat store for the daemon and the CLI.
public enum StoreAccess {
    public static func open(dataDir: String, migrate: Bool, readOnlyCheck: Bool = false) throws -> ChatStore {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let store = try ChatStore.open(directory: dataDir, migrate: migrate)
        matchOwner(of: dataDir)
        return store
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
