import ChatStore
import Configuration
import Foundation

/// Modes of the files fitchat writes: owner read-write, group read (the admin group), others
/// nothing. The process also starts with umask 027, so files made by libraries (LMDB's lock file,
/// a backup's data.mdb) come out no wider.
public enum FileModes {
    public static let file: mode_t = 0o640
    public static let umask: mode_t = 0o027

    public static func restrict(_ path: String) throws {
        guard chmod(path, file) == 0 else {
            throw AdminError.cannotRestrictMode(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
