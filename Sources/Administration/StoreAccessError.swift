import Foundation

/// Why the data directory or its store could not be used; each says what to do about it.
public enum StoreAccessError: Error, Equatable, CustomStringConvertible {
    case permissionDenied(directory: String, uid: UInt32)
    /// The directory is missing; `mustExist` says whether a store was expected there.
    case directoryMissing(directory: String, storeExpected: Bool)
    case notADirectory(directory: String)
    case noStore(directory: String)
    case notWritable(directory: String, reason: String, uid: UInt32)
    case cannotOpen(path: String, reason: String)
    case lockKeepsBeingReplaced(path: String)
    case inUseByDaemon(directory: String, pid: Int32?)
    case daemonUnreachable(directory: String, pid: Int32?, controlSocket: String)

    public var description: String {
        switch self {
        case .permissionDenied(let directory, let uid):
            "cannot reach the data directory \(directory): permission denied on the way there (uid \(uid))"
        case .directoryMissing(let directory, true):
            "no fitchat store in \(directory): the directory does not exist (give --data-dir or FITCHAT_DATA_DIR)"
        case .directoryMissing(let directory, false):
            "data directory \(directory) does not exist; create it first (mkdir -p \(directory)) or give another with --data-dir"
        case .notADirectory(let directory):
            "data directory \(directory) is not a directory"
        case .noStore(let directory):
            "no fitchat store in \(directory) (give --data-dir or FITCHAT_DATA_DIR; 'fitchat serve' or 'fitchat user add' makes a new one)"
        case .notWritable(let directory, let reason, let uid):
            "cannot write in the data directory \(directory) (\(reason)): it must belong to the user fitchat runs as (uid \(uid))"
        case .cannotOpen(let path, let reason):
            "cannot open \(path): \(reason)"
        case .lockKeepsBeingReplaced(let path):
            "cannot lock \(path): it keeps being replaced"
        case .inUseByDaemon(let directory, let pid):
            "\(directory) is in use by a running fitchat" + Self.pid(pid)
                + "; stop it first (systemctl stop fitchat.service fitchat.socket)"
        case .daemonUnreachable(let directory, let pid, let socket):
            "a fitchat daemon" + Self.pid(pid) + " serves \(directory), but its control socket \(socket) "
                + "does not answer; nothing was changed. Run this command with the daemon's runtime directory "
                + "(FITCHAT_RUNTIME_DIR or runtime_dir in the config file), or stop the daemon first."
        }
    }

    private static func pid(_ pid: Int32?) -> String { pid.map { " (pid \($0))" } ?? "" }
}
