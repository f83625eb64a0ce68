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

/// One token bucket per key (a user, an address). A rate of 0 turns the limit off.
public struct RateLimiter<Key: Hashable & Sendable>: Sendable {
    public let burst: Double
    public let rate: Double
    private var buckets: [Key: TokenBucket] = [:]
    private var lastSweep: Micros = 0

    public init(burst: Double, rate: Double) {
        self.burst = max(burst, 1)
        self.rate = rate
    }

    public var isOff: Bool { rate <= 0 }

    public mutating func allow(_ key: Key, now: Micros) -> Bool {
        guard !isOff else { return true }
        sweep(now: now)
        var bucket = buckets[key] ?? TokenBucket(burst: burst, rate: rate, now: now)
        let allowed = bucket.take(now: now)
        buckets[key] = bucket
        return allowed
    }

    /// Whether `key` has a token now, without taking it (count failures only after the fact).
    public func wouldAllow(_ key: Key, now: Micros) -> Bool {
        isOff || (buckets[key]?.hasToken(now: now) ?? true)
    }

    /// Whole seconds until `key` has a token again (at least 1 when it has none).
    public func retryAfter(_ key: Key, now: Micros) -> Int {
        guard !isOff, let bucket = buckets[key] else { return 0 }
        let seconds = bucket.secondsUntilToken(now: now)
        return seconds == 0 ? 0 : Int(min(seconds, 86_400).rounded(.up))
    }

    /// Forgets full buckets now and then, so memory follows the active keys only.
    private mutating func sweep(now: Micros) {
        guard now - lastSweep > 60_000_000 else { return }
        lastSweep = now
        buckets = buckets.filter { !$0.value.isFull(now: now) }
    }

    public var trackedKeys: Int { buckets.count }
}
