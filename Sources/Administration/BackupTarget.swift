import Foundation

/// Where `fitchat backup` writes: the copy goes to a temporary file only this run created, and
/// becomes `data.mdb` only when whole and synced, never replacing one (another backup run into the
/// same directory at the same time keeps its copy). A run that fails removes its temporary file and
/// the directories it created, if still empty — never anything it did not write.
struct BackupTarget {
    let directory: String
    /// Directories this run created, outermost first.
    private(set) var created: [String] = []
    private(set) var temporary: String?

    var file: String { (directory as NSString).appendingPathComponent("data.mdb") }

    /// Makes `directory` (and missing parents), or checks that an existing one is empty.
    init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw AdminError.backupDestinationNotADirectory(path: directory) }
            let entries: [String]
            do {
                entries = try fm.contentsOfDirectory(atPath: directory)
            } catch {
                throw AdminError.cannotWriteBackup(path: directory, reason: "cannot list it")
            }
            guard entries.isEmpty else { throw AdminError.backupDestinationNotEmpty(path: directory) }
            return
        }
        var missing: [String] = []
        var path = directory
        while !path.isEmpty, path != "/", !fm.fileExists(atPath: path) {
            missing.insert(path, at: 0)
            path = (path as NSString).deletingLastPathComponent
        }
        for path in missing {
            guard mkdir(path, 0o755) == 0 else {
                let reason = String(cString: strerror(errno))
                removeCreatedDirectories()
                throw AdminError.cannotWriteBackup(path: path, reason: reason)
            }
            created.append(path)
        }
    }

    /// Opens this run's temporary file, exclusively.
    mutating func openTemporary() throws -> Int32 {
        let path = (directory as NSString).appendingPathComponent(".data.mdb.partial-\(getpid())")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AdminError.cannotWriteBackup(path: directory, reason: String(cString: strerror(errno)))
        }
        temporary = path
        return fd
    }

    /// Syncs the copy and puts it in place as `data.mdb`, unless that name was taken meanwhile.
    func commit(fd: Int32) throws {
        guard let temporary else { return }
        guard fsync(fd) == 0 else {
            if errno == ENOSPC || errno == EDQUOT { throw AdminError.backupDiskFull(path: directory) }
            throw AdminError.cannotWriteBackup(path: directory, reason: String(cString: strerror(errno)))
        }
        try FileModes.restrict(temporary)
        // A hard link cannot replace a file; where the filesystem has none (FAT on a USB stick),
        // a rename after checking the name is free.
        if link(temporary, file) == 0 {
            unlink(temporary)
        } else if errno == EEXIST {
            throw AdminError.backupDestinationNotEmpty(path: directory)
        } else if errno == EPERM || errno == EOPNOTSUPP || errno == ENOTSUP {
            guard access(file, F_OK) != 0 else { throw AdminError.backupDestinationNotEmpty(path: directory) }
            guard rename(temporary, file) == 0 else {
                throw AdminError.cannotWriteBackup(path: directory, reason: String(cString: strerror(errno)))
            }
        } else {
            throw AdminError.cannotWriteBackup(path: directory, reason: String(cString: strerror(errno)))
        }
        // The new name survives a crash only once the directory is synced too.
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// After a failure: this run's temporary file, then the directories it made, while empty.
    func abandon() {
        if let temporary { unlink(temporary) }
        removeCreatedDirectories()
    }

    private func removeCreatedDirectories() {
        for path in created.reversed() where rmdir(path) != 0 { return }
    }
}
