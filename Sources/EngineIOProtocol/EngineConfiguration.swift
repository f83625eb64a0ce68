import NIOCore

/// What the server announces in the open packet.
public struct EngineConfiguration: Sendable, Equatable {
    public var pingInterval: TimeAmount = .seconds(25)
    public var pingTimeout: TimeAmount = .seconds(20)
    /// Largest payload (polling body, WebSocket message) accepted, in bytes.
    public var maxPayload: Int = 1_000_000
    /// Transports a client may use; an upgrade is offered to WebSocket from polling.
    public var allowPolling = true
    public var allowWebSocket = true
    /// Bytes queued for a client before it is considered gone (it stopped reading).
    public var maxQueuedBytes: Int = 4_000_000
    /// Packets in one long-poll answer; more wait for the next poll. python-engineio refuses a
    /// payload of more than 16 packets (its `max_decode_packets`) and drops the connection.
    public var maxPacketsPerPoll: Int = 16
    /// Open sessions from one address, and those of them no namespace CONNECT admitted yet.
    public var maxSessionsPerAddress: Int = 1000
    public var maxHalfOpenSessionsPerAddress: Int = 64
    /// Sessions no namespace CONNECT admitted yet, from every address together.
    public var maxHalfOpenSessions: Int = 512
    public init() {}
}
