import ChatStore
import Foundation
import Logging
import ServiceLifecycle

/// A full disk, said once: an error when writes start failing for want of space and a notice when
/// they succeed again with room to spare (never a line per refused message). A probe write runs
/// at start and every few seconds while the disk is full or nearly so, so the store notices
/// either way even when nobody is writing (a daemon restarted on a full disk said "ok" before).
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
                        "path": "\(directory)", "free_bytes": "\(store.freeBytes.map(String.init) ?? "?")",
                    ])
            } else {
                logger.notice("the store can write again: the disk has space", metadata: ["path": "\(directory)"])
            }
        }
        defer { store.onStorageChange = nil }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if store.isStorageFull || store.diskNearlyFull { try? await store.probeStorage() }
                try await Task.sleep(for: probeInterval)
            }
        }
    }
}
