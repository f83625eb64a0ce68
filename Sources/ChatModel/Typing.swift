/// Who is typing where. A start lasts `expiry` unless renewed; a stop or a disconnect ends it.
public struct TypingTracker: Sendable {
    public struct Entry: Hashable, Sendable {
        public var room: RoomID
        public var user: UserID
        public init(room: RoomID, user: UserID) {
            self.room = room
            self.user = user
        }
    }

    public let expiry: Micros
    private var deadlines: [Entry: Micros] = [:]

    public init(expiry: Micros = 5_000_000) { self.expiry = expiry }

    /// Returns true when this starts typing (false when it only renews).
    public mutating func start(_ entry: Entry, now: Micros) -> Bool {
        deadlines.updateValue(now + expiry, forKey: entry) == nil
    }

    /// Returns true when the entry was typing.
    public mutating func stop(_ entry: Entry) -> Bool {
        deadlines.removeValue(forKey: entry) != nil
    }

    /// Entries whose time ran out (they are removed).
    public mutating func expire(now: Micros) -> [Entry] {
        let expired = deadlines.filter { $0.value <= now }.map(\.key)
        for entry in expired { deadlines.removeValue(forKey: entry) }
        return expired.sorted { ($0.room, $0.user) < ($1.room, $1.user) }
    }

    /// Everything a user was typing (they disconnected).
    public mutating func clear(user: UserID) -> [Entry] {
        let entries = deadlines.keys.filter { $0.user == user }
        for entry in entries { deadlines.removeValue(forKey: entry) }
        return entries.sorted { $0.room < $1.room }
    }

    public func isTyping(_ entry: Entry) -> Bool { deadlines[entry] != nil }

    /// The next moment something expires, to schedule a timer.
    public var nextDeadline: Micros? { deadlines.values.min() }
}
