/// Online while at least one connection is open.
public struct Presence: Sendable {
    private var connections: [UserID: Int] = [:]

    public init() {}

    /// Returns true when this is the user's first connection (they came online).
    public mutating func connected(_ user: UserID) -> Bool {
        connections[user, default: 0] += 1
        return connections[user] == 1
    }

    /// Returns true when this was the user's last connection (they went offline).
    public mutating func disconnected(_ user: UserID) -> Bool {
        guard let count = connections[user] else { return false }
        if count <= 1 {
            connections.removeValue(forKey: user)
            return true
        }
        connections[user] = count - 1
        return false
    }

    public func isOnline(_ user: UserID) -> Bool { connections[user] != nil }
    public var onlineUsers: Set<UserID> { Set(connections.keys) }
}
