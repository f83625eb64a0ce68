import ChatStore
import Foundation
import HTTPServer
import Logging
import NIOCore

/// Test-only routes, present only with `FITCHAT_TEST_HOOKS=1`: they let the systemd tests hang
/// an event loop on purpose and watch the watchdog keep-alives stop.
enum TestHooks {
    static func install(on http: HTTPServer, group: EventLoopGroup, store: ChatStore, logger: Logger) {
        logger.warning("test hooks are on (FITCHAT_TEST_HOOKS=1): never in production")
        http.route(.POST, "/_test/block-event-loop") { request in
            let seconds = Double(request.query["seconds"] ?? "") ?? 5
            // Block a loop other than the one answering, so this response still goes out.
            let loops = Array(group.makeIterator())
            let victim = loops.count > 1 ? loops[loops.count - 1] : loops[0]
            victim.execute { Thread.sleep(forTimeInterval: seconds) }
            return .text(.ok, "blocking one event loop for \(seconds) s\n")
        }
        // `on=1`: every store read and write fails; `on=writes`: writes only. The daemon must
        // answer 5xx / internal_error and log the failure, never a success.
        http.route(.POST, "/_test/store-failures") { request in
            let mode: FailureSwitch.Mode =
                switch request.query["on"] {
                case "1": .everything
                case "writes": .writes
                default: .off
                }
            store.injectedFailures.set(mode)
            return .text(.ok, "store failures: \(mode)\n")
        }
    }
}
