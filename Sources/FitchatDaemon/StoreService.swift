import ChatStore
import ServiceLifecycle

/// The open store as a service: first in the group, so it is closed last, after everything that
/// writes to it has stopped. Closing lets the writer finish every queued write first.
struct StoreService: Service, CustomStringConvertible {
    let store: ChatStore
    var description: String { "store" }

    func run() async throws {
        try? await gracefulShutdown()
        store.close()
    }
}
