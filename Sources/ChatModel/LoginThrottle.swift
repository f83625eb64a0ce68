/// Who may try a password now. Failed attempts are counted per address, per account·address and
/// per account. The per-account count is the only one an attacker elsewhere can spend, so it
/// never locks the account: once it is spent, every address still gets a slow lane for that
/// account, and the owner's correct password gets in (slowly) while someone else hammers it.
public struct LoginThrottle: Sendable {
    public struct Pair: Hashable, Sendable {
        public var account: String
        public var address: String
        public init(_ account: String, _ address: String) {
            self.account = account
            self.address = address
        }
    }

    public enum Decision: Equatable, Sendable {
        case allowed
        /// Refused; try again in this many seconds.
        case throttled(retryAfter: Int)
    }

    public struct Limits: Sendable {
        public var perAddress = (burst: 30.0, rate: 0.5)
        public var perPair = (burst: 5.0, rate: 1.0 / 60)
        public var perAccount = (burst: 10.0, rate: 0.1)
        /// Once the account's count is spent: one attempt per account·address this often.
        public var slowLaneSeconds = 30.0
        public init() {}
    }

    private var addresses: RateLimiter<String>
    private var pairs: RateLimiter<Pair>
    private var accounts: RateLimiter<String>
    private var slowLane: RateLimiter<Pair>

    public init(limits: Limits = .init()) {
        addresses = RateLimiter(burst: limits.perAddress.burst, rate: limits.perAddress.rate)
        pairs = RateLimiter(burst: limits.perPair.burst, rate: limits.perPair.rate)
        accounts = RateLimiter(burst: limits.perAccount.burst, rate: limits.perAccount.rate)
        slowLane = RateLimiter(burst: 1, rate: 1 / limits.slowLaneSeconds)
    }

    /// Before checking a password. `account` is the folded user name.
    public mutating func admit(account: String, address: String, now: Micros) -> Decision {
        let pair = Pair(account, address)
        guard addresses.wouldAllow(address, now: now) else {
            return .throttled(retryAfter: max(1, addresses.retryAfter(address, now: now)))
        }
        guard pairs.wouldAllow(pair, now: now) else {
            return .throttled(retryAfter: max(1, pairs.retryAfter(pair, now: now)))
        }
        if accounts.wouldAllow(account, now: now) { return .allowed }
        guard slowLane.allow(pair, now: now) else {
            return .throttled(retryAfter: max(1, slowLane.retryAfter(pair, now: now)))
        }
        return .allowed
    }

    /// After a wrong password (or an unknown name): spends one attempt of each count.
    public mutating func failed(account: String, address: String, now: Micros) {
        _ = addresses.allow(address, now: now)
        _ = pairs.allow(Pair(account, address), now: now)
        _ = accounts.allow(account, now: now)
    }

    /// A refusal that costs no password check (a name that cannot exist) still counts for the address.
    public mutating func refusedCheaply(address: String, now: Micros) {
        _ = addresses.allow(address, now: now)
    }
}
