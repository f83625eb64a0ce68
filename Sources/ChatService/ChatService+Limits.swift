import ChatModel

extension ChatService {
    /// The chat's limits: the message bucket and the per-address cap come from the settings; the
    /// rest are the contract's fixed ones (history page, typing expiry, join, typing and reaction
    /// buckets). Edits and deletes share the message bucket; `open_direct` the join bucket.
    public struct Limits: Sendable {
        public var messageBurst: Double = 20
        public var messageRate: Double = 5
        public var maxConnectionsPerIP = 1000
        public var historyPage = 50
        public var typingExpiry: Micros = 5_000_000
        public var joinBurst: Double = 20
        public var joinRate: Double = 2
        public var typingBurst: Double = 30
        public var typingRate: Double = 5
        public var reactionBurst: Double = 30
        public var reactionRate: Double = 5
        public var readBurst: Double = 30
        public var readRate: Double = 10
        /// A front desk clearing a spam wave: 30 actions at once, then one a second.
        public var moderationBurst: Double = 30
        public var moderationRate: Double = 1
        /// Five reports at once, then one every twelve seconds (five a minute).
        public var reportBurst: Double = 5
        public var reportRate: Double = 1.0 / 12
        public init() {}
    }
}
