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
