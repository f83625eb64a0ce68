/// Failures of the store itself (the chat's own mistakes are `RepositoryError`s).
public enum ChatStoreError: Error, Equatable, CustomStringConvertible {
    case newerSchema(found: UInt32, supported: UInt32)
    case needsMigration(found: UInt32, supported: UInt32)
    case closed
    /// A write to a store opened read-only.
    case readOnly
    /// Only from `ChatStore.injectedFailures` (tests).
    case injectedFailure
    /// `backup` ran out of space (or quota) where it was writing.
    case backupDiskFull(directory: String)

    public var description: String {
        switch self {
        case .newerSchema(let found, let supported):
            "data file schema version \(found) is newer than this fitchat supports (\(supported)); upgrade fitchat"
        case .needsMigration(let found, let supported):
            "data file schema version \(found) needs migrating to \(supported): run 'fitchat db migrate' (or start 'fitchat serve', which migrates)"
        case .closed:
            "the chat store is closed"
        case .readOnly:
            "the chat store was opened read-only"
        case .injectedFailure:
            "storage failure injected by a test hook"
        case .backupDiskFull(let directory):
            "the disk holding \(directory) is full: free some space there or back up elsewhere"
        }
    }
}
