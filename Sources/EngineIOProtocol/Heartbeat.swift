import NIOCore

/// The server-driven heartbeat of Engine.IO v4: a ping every `interval`; a pong must follow
/// within `timeout`, else the session is dead. Pure: the caller supplies the time.
public struct Heartbeat: Sendable, Equatable {
    public enum Action: Equatable, Sendable { case none, sendPing, timedOut }

    public let interval: TimeAmount
    public let timeout: TimeAmount
    public private(set) var nextPing: NIODeadline
    public private(set) var pongDeadline: NIODeadline?

    public init(interval: TimeAmount, timeout: TimeAmount, now: NIODeadline) {
        self.interval = interval
        self.timeout = timeout
        nextPing = now + interval
    }

    /// When the caller should call `due` next.
    public var nextWakeup: NIODeadline { pongDeadline ?? nextPing }

    public mutating func due(now: NIODeadline) -> Action {
        if let pongDeadline {
            return now >= pongDeadline ? .timedOut : .none
        }
        guard now >= nextPing else { return .none }
        pongDeadline = now + timeout
        return .sendPing
    }

    /// A pong arrived: the next ping goes out one interval from now. An unsolicited pong is ignored.
    public mutating func receivedPong(now: NIODeadline) {
        guard pongDeadline != nil else { return }
        pongDeadline = nil
        nextPing = now + interval
    }
}
