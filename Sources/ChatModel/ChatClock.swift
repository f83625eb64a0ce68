#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the chat reads the time. Injected, so rules that depend on time (rate limits, typing
/// expiry, session expiry) are tested with a clock the test moves.
public protocol ChatClock: Sendable {
    /// Wall-clock microseconds since 1970: what is stored and shown.
    func wallMicros() -> Micros
    /// Monotonic microseconds: rate limits and expiries, which a wall-clock jump must not move.
    func monotonicMicros() -> Micros
}

/// The machine's clocks.
public struct SystemClock: ChatClock {
    public init() {}

    public func wallMicros() -> Micros { Self.read(CLOCK_REALTIME) }
    public func monotonicMicros() -> Micros { Self.read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> Micros {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Micros(ts.tv_sec) * 1_000_000 + Micros(ts.tv_nsec) / 1000
    }
}
