import ChatModel
import Foundation

/// Why an admin operation (the CLI) refused or failed; each says what to do about it.
public enum AdminError: Error, Equatable, CustomStringConvertible {
    case userDisabled(name: String)
    case roomArchived(name: String)
    case descriptionTooLong(characters: Int, limit: Int)
    case descriptionUnsafe
    case backupDestinationNotADirectory(path: String)
    case backupDestinationNotEmpty(path: String)
    case backupDiskFull(path: String)
    case cannotWriteBackup(path: String, reason: String)
    case notABackup(path: String)
    case inconsistentBackup(path: String, problem: String)
    case cannotKeepCurrentStore(as: String, reason: String)
    case cannotMoveIntoPlace(path: String, reason: String)
    case cannotRestrictMode(path: String, reason: String)
    case lastAdmin(name: String)
    case noAdmin
    case notAdmin
    case notAnAdminSigner(name: String)
    case invalidInviteUses(Int)
    case invalidLifetime
    case invalidLifetimeText(String)
    case reservedRoomName(name: String)
    case directRoom(name: String)
    case invalidMuteMinutes(Int, ClosedRange<Int>)
    case invalidReason

    public var description: String {
        switch self {
        case .invalidMuteMinutes(let minutes, let range):
            "a mute lasts \(range.lowerBound) to \(range.upperBound) minutes (not \(minutes))"
        case .invalidReason:
            "a reason has at most \(ModerationRules.maxReason) characters and no control characters"
        case .userDisabled(let name): "user '\(name)' is disabled"
        case .roomArchived(let name): "room '\(name)' is archived: nobody can join it"
        case .descriptionTooLong(let characters, let limit):
            "a room description has at most \(limit) characters (this one has \(characters))"
        case .descriptionUnsafe: "a room description may not hold control, invisible or text-direction characters"
        case .backupDestinationNotADirectory(let path): "\(path) exists and is not a directory"
        case .backupDestinationNotEmpty(let path): "\(path) is not empty; back up into a new or empty directory"
        case .backupDiskFull(let path):
            "the disk holding \(path) is full: free some space there or back up elsewhere (nothing was left behind)"
        case .cannotWriteBackup(let path, let reason): "cannot write the backup into \(path): \(reason)"
        case .notABackup(let path): "\(path) holds no data.mdb: not a fitchat backup"
        case .inconsistentBackup(let path, let problem): "the backup in \(path) is inconsistent: \(problem)"
        case .cannotKeepCurrentStore(let kept, let reason): "cannot keep the current store as \(kept): \(reason)"
        case .cannotMoveIntoPlace(let path, let reason): "cannot move \(path) into place: \(reason)"
        case .cannotRestrictMode(let path, let reason): "cannot set the mode of \(path) to 0640: \(reason)"
        case .lastAdmin(let name): "'\(name)' is the last active admin; make another user admin first"
        case .notAdmin: "only an active admin may do this"
        case .notAnAdminSigner(let name): "only an active admin may sign a notice; '\(name)' is not one"
        case .noAdmin: "no active admin to sign the notice; make one with 'fitchat user add NAME --admin'"
        case .invalidInviteUses(let uses): "an invite allows at least one use (not \(uses))"
        case .invalidLifetime: "a lifetime must be more than zero and at most 100 years"
        case .reservedRoomName(let name):
            "'\(name)': room names starting with '\(DirectPair.roomNamePrefix)' are reserved for direct messages"
        case .directRoom(let name): "'\(name)' is a direct conversation: it belongs to its two users alone"
        case .invalidLifetimeText(let text):
            "'\(text)' is not a lifetime: give a number and a unit (7d, 12h, 30m, 90s) or 'never'"
        }
    }
}
