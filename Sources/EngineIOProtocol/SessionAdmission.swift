/// Per-address bookkeeping of open Engine.IO sessions, so one address cannot hold an unbounded
/// number of them: at most `maxPerAddress` in all, and at most `maxHalfOpenPerAddress` that the
/// layer above has not admitted yet (no namespace CONNECT succeeded — nobody signed in). A
/// half-open session holds little (its request head, no events), so the cap bounds what an
/// unauthenticated address can make the server keep; `maxHalfOpenInAll` bounds them all together
/// (one holder of many addresses, an IPv6 /48 say, has a budget for each).
public struct SessionAdmission: Sendable, Equatable {
    public enum Refusal: Error, Sendable, Equatable {
        case tooManySessions, tooManyHalfOpenSessions
        /// Every address together holds `maxHalfOpenInAll`: the server's limit, not this address's.
        case tooManyHalfOpenSessionsInAll
    }

    public struct Counts: Sendable, Equatable {
        public var open = 0
        public var halfOpen = 0
        public init(open: Int = 0, halfOpen: Int = 0) {
            self.open = open
            self.halfOpen = halfOpen
        }
    }

    public var maxPerAddress: Int
    public var maxHalfOpenPerAddress: Int
    public var maxHalfOpenInAll: Int
    public private(set) var byAddress: [String: Counts] = [:]
    /// The sum of every address's `halfOpen`.
    public private(set) var halfOpenInAll = 0

    public init(maxPerAddress: Int, maxHalfOpenPerAddress: Int, maxHalfOpenInAll: Int = .max) {
        self.maxPerAddress = maxPerAddress
        self.maxHalfOpenPerAddress = maxHalfOpenPerAddress
        self.maxHalfOpenInAll = maxHalfOpenInAll
    }

    /// Counts a new half-open session for `address`; nil, or why not.
    public mutating func open(_ address: String) -> Refusal? {
        let counts = byAddress[address] ?? Counts()
        if counts.open >= maxPerAddress { return .tooManySessions }
        if counts.halfOpen >= maxHalfOpenPerAddress { return .tooManyHalfOpenSessions }
        if halfOpenInAll >= maxHalfOpenInAll { return .tooManyHalfOpenSessionsInAll }
        byAddress[address] = Counts(open: counts.open + 1, halfOpen: counts.halfOpen + 1)
        halfOpenInAll += 1
        return nil
    }

    /// The session was admitted by the layer above: no longer half-open.
    public mutating func admit(_ address: String) {
        guard var counts = byAddress[address], counts.halfOpen > 0 else { return }
        counts.halfOpen -= 1
        halfOpenInAll -= 1
        byAddress[address] = counts
    }

    /// The session ended (`wasAdmitted` says which count it was in).
    public mutating func close(_ address: String, wasAdmitted: Bool) {
        guard var counts = byAddress[address] else { return }
        counts.open = max(0, counts.open - 1)
        if !wasAdmitted, counts.halfOpen > 0 {
            counts.halfOpen -= 1
            halfOpenInAll -= 1
        }
        byAddress[address] = counts.open == 0 ? nil : counts
    }

    public func counts(_ address: String) -> Counts { byAddress[address] ?? Counts() }
}
