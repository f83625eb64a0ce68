import ChatModel

/// Everything the service remembers between calls. Owned by `ChatService.state` (one lock, never
/// held across an `await` or a repository write).
struct ServiceState {
    var presence = Presence()
    var typing: TypingTracker
    var messages: RateLimiter<UserID>
    var joins: RateLimiter<UserID>
    var typingEvents: RateLimiter<UserID>
    var reactions: RateLimiter<UserID>
    /// History pages, mention lists and read marks.
    var reads: RateLimiter<UserID>
    /// Mutes, bans and their lifting.
    var moderation: RateLimiter<UserID>
    var reports: RateLimiter<UserID>
    var connectionsPerAddress: [String: Int] = [:]
    /// Each user's open connections, oldest first.
    var connectionsByUser: [UserID: [ChatConnection]] = [:]

    init(limits: ChatService.Limits) {
        typing = TypingTracker(expiry: limits.typingExpiry)
        messages = RateLimiter(burst: limits.messageBurst, rate: limits.messageRate)
        joins = RateLimiter(burst: limits.joinBurst, rate: limits.joinRate)
        typingEvents = RateLimiter(burst: limits.typingBurst, rate: limits.typingRate)
        reactions = RateLimiter(burst: limits.reactionBurst, rate: limits.reactionRate)
        reads = RateLimiter(burst: limits.readBurst, rate: limits.readRate)
        moderation = RateLimiter(burst: limits.moderationBurst, rate: limits.moderationRate)
        reports = RateLimiter(burst: limits.reportBurst, rate: limits.reportRate)
    }

    mutating func releaseSlot(of address: String) {
        connectionsPerAddress[address, default: 1] -= 1
        if connectionsPerAddress[address, default: 0] <= 0 { connectionsPerAddress.removeValue(forKey: address) }
    }

    func connections(of user: UserID) -> [ChatConnection] { connectionsByUser[user] ?? [] }

    var connectionCount: Int { connectionsByUser.values.reduce(0) { $0 + $1.count } }
}
