import ChatModel
import Foundation

/// A clock the test moves. Wall time starts at a fixed moment (2026-11-24T18:05:09.123Z);
/// monotonic time starts at 0; `advance` moves both.
/// `@unchecked Sendable`: `elapsed` is read and written only under `lock`.
public final class TestClock: ChatClock, @unchecked Sendable {
    public static let start: Micros = 1_795_543_509_123_000
    private let lock = NSLock()
    private var elapsed: Micros = 0

    public init() {}

    public func wallMicros() -> Micros { Self.start + monotonicMicros() }

    public func monotonicMicros() -> Micros {
        lock.lock()
        defer { lock.unlock() }
        return elapsed
    }

    public func advance(micros: Micros) {
        lock.lock()
        defer { lock.unlock() }
        elapsed += micros
    }

    public func advance(seconds: Double) { advance(micros: Micros(seconds * 1_000_000)) }
}
