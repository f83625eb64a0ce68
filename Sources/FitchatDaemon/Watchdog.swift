import ChatStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Systemd

/// The systemd watchdog, meaning something: a keep-alive goes out every half interval only after
/// a health probe passes — every event loop ran a no-op task and the store's writer thread
/// answered a ping, all within the interval. A hung loop or writer stops the keep-alives, and
/// systemd restarts the service.
struct Watchdog {
    let interval: Duration
    let group: EventLoopGroup
    let store: ChatStore
    let notifier: Notifier
    let logger: Logger

    func run() async {
        let period = interval / 2
        var healthy = true
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let passed = await probe(deadline: interval)
            logger.debug(
                "health probe",
                metadata: [
                    "passed": "\(passed)",
                    "ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)",
                ])
            if passed {
                notifier.watchdog()
                if !healthy { logger.notice("health probe passes again") }
            } else if healthy {
                logger.error("health probe failed: withholding watchdog keep-alives")
            }
            healthy = passed
            let elapsed = ContinuousClock.now - started
            if elapsed < period { try? await Task.sleep(for: period - elapsed) }
        }
    }

    /// True when every loop and the writer answered within `deadline`.
    func probe(deadline: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { tasks in
            for loop in group.makeIterator() {
                tasks.addTask { await Watchdog.answers({ try await loop.submit {}.get() }, within: deadline) }
            }
            tasks.addTask { await Watchdog.answers({ try await store.ping() }, within: deadline) }
            var all = true
            for await answered in tasks where !answered { all = false }
            return all
        }
    }

    /// True when `check` completes within `deadline`. Answers at the deadline even when `check`
    /// never returns: a task group would wait for its hung child after `cancelAll` (an event loop's
    /// `submit` cannot be cancelled), so the probe would hang with it instead of failing.
    static func answers(_ check: @escaping @Sendable () async throws -> Void, within deadline: Duration) async -> Bool {
        let pending = NIOLockedValueBox<CheckedContinuation<Bool, Never>?>(nil)
        let finish: @Sendable (Bool) -> Void = { answered in
            pending.withLockedValue { continuation in
                continuation?.resume(returning: answered)
                continuation = nil
            }
        }
        return await withCheckedContinuation { continuation in
            pending.withLockedValue { $0 = continuation }
            let timer = Task {
                // Only a deadline that passed fails the check; a cancelled timer says nothing.
                if (try? await Task.sleep(for: deadline)) != nil { finish(false) }
            }
            Task {
                finish((try? await check()) != nil)
                timer.cancel()
            }
        }
    }
}
