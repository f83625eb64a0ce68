import Configuration
import Foundation

/// One daemon per data directory: `serve` holds an exclusive `flock` on `<data-dir>/fitchat.pid`
/// for its whole life. The kernel drops the lock when the process dies, even by SIGKILL.
public final class DaemonLock {
    public let path: String
    private let fd: Int32

    public struct Busy: Error, CustomStringConvertible {
        public var dataDir: String
        public var pid: Int32?
        public var description: String {
            "another fitchat is already serving \(dataDir)" + (pid.map { " (pid \($0))" } ?? "")
        }
    }

    public static func path(forDataDir dataDir: String) -> String {
        (dataDir as NSString).appendingPathComponent("fitchat.pid")
    }

    /// Takes the lock or throws `Busy` naming the holder.
    public init(dataDir: String) throws {
        path = DaemonLock.path(forDataDir: dataDir)
        var attempts = 0
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, FileModes.file)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                if errno == EACCES || errno == EROFS {
                    throw StoreAccessError.notWritable(directory: dataDir, reason: reason, uid: geteuid())
                }
                throw StoreAccessError.cannotOpen(path: path, reason: reason)
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let pid = DaemonLock.readPID(fd: fd)
                close(fd)
                throw Busy(dataDir: dataDir, pid: pid)
            }
            // The previous holder unlinks the file when it stops; a lock taken on that unlinked
            // file would guard nothing, so make sure the path still names the locked file.
            if DaemonLock.isSameFile(fd: fd, path: path) {
                self.fd = fd
                break
            }
            close(fd)
            attempts += 1
            if attempts > 100 { throw StoreAccessError.lockKeepsBeingReplaced(path: path) }
        }
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Removes the pid file while still holding the lock: no empty file is left behind.
    deinit {
        unlink(path)
        close(fd)
    }

    private static func isSameFile(fd: Int32, path: String) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(fd, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    /// The pid of the daemon serving `dataDir`, or nil when none holds the lock.
    public static func holder(dataDir: String) -> Int32?? {
        let fd = open(path(forDataDir: dataDir), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return .some(readPID(fd: fd))
    }

    private static func readPID(fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
