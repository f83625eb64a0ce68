import ChatStore
import HTTPServer

/// `/healthz`: answers while the event loops do (the watchdog checks the store too). A store whose
/// disk is full (a write failed for want of space, or under 1 MiB is left) answers 503, so a
/// monitor notices before the members do.
enum HealthRoute {
    static func install(on http: HTTPServer, store: ChatStore) {
        http.route(.GET, "/healthz") { _ in
            guard store.isStorageFull || store.diskNearlyFull else { return .text(.ok, "ok\n") }
            return .text(
                .serviceUnavailable,
                "storage_full: the disk holding \(store.directory) is full; writes are refused until space is freed\n")
        }
    }
}
