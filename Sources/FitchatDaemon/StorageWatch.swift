import ChatStore
import Foundation
import Logging
import ServiceLifecycle

/// A full disk, said once: an error when writes start failing for want of space and a notice when
/// they succeed again (never a line per refused message). While the disk is full a probe write
/// runs every few seconds, so the store notices freed space even when nobody is writing.
struct StorageWatch: Service, CustomStringConvertible {
    let store: ChatStore
    let logger: Logger
    var probeInterval: Duration = .seconds(5)
    var description: String { "storage watch" }

    func run() async throws {
        let logger = self.logger
        let directory = store.directory
        store.onStorageChange = { full in
            if full {
                logger.error(
                    "the disk holding the store is full: messages and other writes are refused (storage_full) until space is freed",
                    metadata: [
                        "path": "\(directory)", "free_bytes": "\(Self.freeBytes(directory).map(String.init) ?? "?")",
                    ])
            } else {
                logger.notice("the store can write again: the disk has space", metadata: ["path": "\(directory)"])
            }
        }
        defer { store.onStorageChange = nil }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: probeInterval)
                if store.isStorageFull { try? await store.probeStorage() }
            }
        }
    }

    /// Bytes free to an unprivileged writer on the filesystem holding `path`.
    static func freeBytes(_ path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }
}
