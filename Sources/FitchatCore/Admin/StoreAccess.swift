import ChatStore
import Foundation

/// The one place that opens the chat store for the daemon and the CLI.
public enum StoreAccess {
    public static func open(dataDir: String, migrate: Bool, readOnlyCheck: Bool = false) throws -> ChatStore {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        return try ChatStore.open(directory: dataDir, migrate: migrate)
    }
}
