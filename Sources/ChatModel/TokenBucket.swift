/// A token bucket: `burst` tokens, refilled at `rate` per second. Time comes from the caller.
public struct TokenBucket: Sendable, Equatable {
    public let burst: Double
    public let rate: Double
    public private(set) var tokens: Double
    private var last: Micros

    public init(burst: Double, rate: Double, now: Micros) {
        self.burst = burst
        self.rate = rate
        tokens = burst
        last = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: Micros) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether a token is there, without taking it.
    public func hasToken(now: Micros) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= 1
    }

    /// Seconds until the next token (0 when there is one), for `Retry-After`.
    public func secondsUntilToken(now: Micros) -> Double {
        var copy = self
        copy.refill(now: now)
        guard copy.tokens < 1 else { return 0 }
        return rate > 0 ? (1 - copy.tokens) / rate : .infinity
    }

    mutating func refill(now: Micros) {
        guard now > last else { return }
        tokens = min(burst, tokens + Double(now - last) / 1_000_000 * rate)
        last = now
    }

    /// True when the bucket is full again, so it can be forgotten.
    func isFull(now: Micros) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= burst
    }
}
