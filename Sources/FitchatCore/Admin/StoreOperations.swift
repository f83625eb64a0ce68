import ChatModel
import ChatStore
import Foundation

/// Whole-store operations of the admin CLI: status, check, migrate, backup, restore.
public enum StoreOperations {
    /// A hot, compacted copy into `destination` (a new or empty directory); safe while the daemon runs.
    public static func backup(settings: Settings, to destination: String) throws -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: destination, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ConfigError("\(destination) exists and is not a directory") }
            guard (try fm.contentsOfDirectory(atPath: destination)).isEmpty else {
                throw ConfigError("\(destination) is not empty; back up into a new or empty directory")
            }
        } else {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        }
        let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: false)
        defer { store.close() }
        try store.backup(to: destination)
        let file = (destination as NSString).appendingPathComponent("data.mdb")
        // It holds password hashes: never world-readable, whatever the caller's umask.
        try FileModes.restrict(file)
        return file
    }

    /// Replaces the data of `settings.dataDir` with the backup in `source`. Refuses while a daemon
    /// serves the directory; the replaced file is kept beside it, never deleted.
    public static func restore(settings: Settings, from source: String) throws -> String? {
        let fm = FileManager.default
        let sourceFile = (source as NSString).appendingPathComponent("data.mdb")
        guard fm.fileExists(atPath: sourceFile) else { throw ConfigError("\(source) holds no data.mdb: not a fitchat backup") }
        if case .some(let pid) = DaemonLock.holder(dataDir: settings.dataDir) {
            throw ConfigError("\(settings.dataDir) is in use by a running fitchat" + (pid.map { " (pid \($0))" } ?? "") + "; stop it first (systemctl stop fitchat.service fitchat.socket)")
        }
        // Prove the backup opens as a fitchat store before touching anything.
        let probe = try StoreAccess.open(dataDir: source, migrate: false, readOnlyCheck: true)
        let problems = try probe.check()
        probe.close()
        if let first = problems.first { throw ConfigError("the backup in \(source) is inconsistent: \(first)") }

        try fm.createDirectory(atPath: settings.dataDir, withIntermediateDirectories: true)
        // Holding the daemon lock keeps a daemon from starting half-way through.
        let lock = try DaemonLock(dataDir: settings.dataDir)
        defer { withExtendedLifetime(lock) {} }
        let target = (settings.dataDir as NSString).appendingPathComponent("data.mdb")
        var keptAs: String?
        if fm.fileExists(atPath: target) {
            let stamp = Int(Date().timeIntervalSince1970)
            keptAs = target + ".before-restore-\(stamp)"
            try fm.moveItem(atPath: target, toPath: keptAs!)
        }
        let staging = target + ".restoring"
        try? fm.removeItem(atPath: staging)
        try fm.copyItem(atPath: sourceFile, toPath: staging)
        // A copy keeps the backup's mode; the live store is never world-readable.
        try FileModes.restrict(staging)
        guard rename(staging, target) == 0 else { throw ConfigError("cannot move \(staging) into place: \(String(cString: strerror(errno)))") }
        try? fm.removeItem(atPath: (settings.dataDir as NSString).appendingPathComponent("lock.mdb"))
        return keptAs
    }
}

/// Modes of the files fitchat writes: owner read-write, group read (the admin group), others
/// nothing. The process also starts with umask 027, so files made by libraries (LMDB's lock file,
/// a backup's data.mdb) come out no wider.
public enum FileModes {
    public static let file: mode_t = 0o640
    public static let umask: mode_t = 0o027

    public static func restrict(_ path: String) throws {
        guard chmod(path, file) == 0 else {
            throw ConfigError("cannot set the mode of \(path) to 0640: \(String(cString: strerror(errno)))")
        }
    }
}
