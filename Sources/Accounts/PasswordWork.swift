import Foundation
import NIOConcurrencyHelpers

/// Bounds concurrent scrypt work (each check takes ~0.4 s of one core and 128 MB): `slots` run at
/// once, up to `queueLimit` more wait their turn, and the rest are refused at once (→ 503 with
/// Retry-After), so a burst of logins or registrations cannot starve the chat of CPU and memory.
public final class PasswordWork: Sendable {
    public struct Busy: Error {}

    private struct State {
        var running = 0
        var waiters: [CheckedContinuation<Bool, Never>] = []
    }

    public let slots: Int
    public let queueLimit: Int
    private let state = NIOLockedValueBox(State())

    public init(slots: Int, queueLimit: Int) {
        self.slots = max(1, slots)
        self.queueLimit = max(0, queueLimit)
    }

    /// Runs `work` on a GCD thread (never on an event loop or the cooperative pool) once a slot is free.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard await acquire() else { throw Busy() }
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// True with a slot held (maybe after waiting), false when the queue is full.
    func acquire() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let immediate: Bool? = state.withLockedValue { state in
                if state.running < slots {
                    state.running += 1
                    return true
                }
                guard state.waiters.count < queueLimit else { return false }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Hands the slot to the next waiter, or frees it.
    func release() {
        let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.running -= 1
            return nil
        }
        next?.resume(returning: true)
    }

    public var counts: (running: Int, waiting: Int) { state.withLockedValue { ($0.running, $0.waiters.count) } }
}
