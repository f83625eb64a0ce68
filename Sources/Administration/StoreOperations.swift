import ChatStore
import Configuration
import Foundation

/// Whole-store operations of the admin CLI: status, check, migrate, backup, restore, reindex.
public enum StoreOperations {
    /// A hot, compacted copy into `destination` (a new or empty directory); safe while the daemon runs.
    public static func backup(settings: Settings, to destinationPath: String) async throws -> String {
        // Check the source first: a typo in --data-dir must not leave an empty backup folder behind.
        try StoreAccess.requireStore(in: FilePaths.absolute(settings.dataDir), creation: .mustExist)
        var target = try BackupTarget(directory: FilePaths.absolute(destinationPath))
        do {
            let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: false)
            defer { store.close() }
            let fd = try target.openTemporary()
            defer { close(fd) }
            do {
                try store.backup(toFileDescriptor: fd, in: target.directory)
            } catch ChatStoreError.backupDiskFull {
                throw AdminError.backupDiskFull(path: target.directory)
            }
            try target.commit(fd: fd)
            // The admin page shows when the last backup was made (the copy itself does not say so).
            try await store.recordBackup()
        } catch {
            target.abandon()
            throw error
        }
        return target.file
    }

    /// Replaces the data of `settings.dataDir` with the backup in `source`. Refuses while a daemon
    /// serves the directory; the replaced file is kept beside it, never deleted.
    public static func restore(settings: Settings, from sourcePath: String) throws -> String? {
        let fm = FileManager.default
        let source = FilePaths.absolute(sourcePath)
        let dataDir = FilePaths.absolute(settings.dataDir)
        let sourceFile = (source as NSString).appendingPathComponent("data.mdb")
        guard fm.fileExists(atPath: sourceFile) else { throw AdminError.notABackup(path: source) }
        if case .some(let pid) = DaemonLock.holder(dataDir: dataDir) {
            throw StoreAccessError.inUseByDaemon(directory: dataDir, pid: pid)
        }
        // Prove the backup opens as a fitchat store before touching anything. A backup from
        // before an upgrade has an older schema: a copy of it is migrated (and checked) first, so
        // upgrading fitchat never makes older backups unrestorable.
        var restoreFrom = sourceFile
        var migratedDir: String?
        defer { if let migratedDir { try? fm.removeItem(atPath: migratedDir) } }
        do {
            let probe = try ChatStore.open(directory: source, readOnly: true)
            let problems = try probe.check()
            probe.close()
            if let first = problems.first { throw AdminError.inconsistentBackup(path: source, problem: "\(first)") }
        } catch ChatStoreError.needsMigration(let found, _) where found > 0 {
            let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent(
                "fitchat-restore-\(getpid())-\(UUID().uuidString)")
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            migratedDir = dir
            let copy = (dir as NSString).appendingPathComponent("data.mdb")
            try fm.copyItem(atPath: sourceFile, toPath: copy)
            let migrated = try ChatStore.open(directory: dir, migrate: true)
            let problems = try migrated.check()
            migrated.close()
            if let first = problems.first { throw AdminError.inconsistentBackup(path: source, problem: "\(first)") }
            restoreFrom = copy
        }

        try StoreAccess.requireStore(in: dataDir, creation: .mayCreate)
        // Holding the daemon lock keeps a daemon from starting half-way through.
        let lock = try DaemonLock(dataDir: dataDir)
        defer { withExtendedLifetime(lock) {} }
        let target = (dataDir as NSString).appendingPathComponent("data.mdb")
        var keptAs: String?
        if fm.fileExists(atPath: target) {
            let kept = unusedName(target + ".before-restore-\(Int(Date().timeIntervalSince1970))")
            guard rename(target, kept) == 0 else {
                throw AdminError.cannotKeepCurrentStore(as: kept, reason: String(cString: strerror(errno)))
            }
            keptAs = kept
        }
        let staging = target + ".restoring"
        try? fm.removeItem(atPath: staging)
        try fm.copyItem(atPath: restoreFrom, toPath: staging)
        // A copy keeps the backup's mode; the live store is never world-readable.
        try FileModes.restrict(staging)
        guard rename(staging, target) == 0 else {
            throw AdminError.cannotMoveIntoPlace(path: staging, reason: String(cString: strerror(errno)))
        }
        try? fm.removeItem(atPath: (dataDir as NSString).appendingPathComponent("lock.mdb"))
        // Restored as root, the store must still open for the service's own user.
        StoreAccess.matchOwner(of: dataDir)
        return keptAs
    }

    /// Rebuilds the search index from the messages (`fitchat db reindex`), in one write
    /// transaction. Refuses while a daemon serves the directory: at a million messages the rebuild
    /// takes many seconds, in which the daemon could store nothing (and its watchdog would end
    /// it); the daemon lock keeps one from starting meanwhile.
    public static func reindex(settings: Settings) async throws -> (messages: Int, postings: Int) {
        let dataDir = FilePaths.absolute(settings.dataDir)
        try StoreAccess.requireStore(in: dataDir, creation: .mustExist)
        if case .some(let pid) = DaemonLock.holder(dataDir: dataDir) {
            throw StoreAccessError.inUseByDaemon(directory: dataDir, pid: pid)
        }
        let lock = try DaemonLock(dataDir: dataDir)
        defer { withExtendedLifetime(lock) {} }
        let store = try StoreAccess.open(dataDir: dataDir, migrate: false)
        defer { store.close() }
        return try await store.reindexSearch()
    }

    /// `path`, or `path-2`, `path-3`… when taken (two restores within one second).
    static func unusedName(_ path: String) -> String {
        var candidate = path
        var n = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(path)-\(n)"
            n += 1
        }
        return candidate
    }
}
