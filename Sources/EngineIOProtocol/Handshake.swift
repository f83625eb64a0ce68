import NIOCore

/// The handshake a new session is opened with (the JSON of the open packet).
public struct Handshake: Equatable, Sendable {
    public var sid: String
    public var upgrades: [String]
    public var pingInterval: Int64
    public var pingTimeout: Int64
    public var maxPayload: Int

    public init(sid: String, transport: EngineTransport, configuration: EngineConfiguration) {
        self.sid = sid
        upgrades = transport == .polling && configuration.allowWebSocket ? ["websocket"] : []
        pingInterval = configuration.pingInterval.nanoseconds / 1_000_000
        pingTimeout = configuration.pingTimeout.nanoseconds / 1_000_000
        maxPayload = configuration.maxPayload
    }

    /// The open packet's JSON, keys in the order the reference server sends them.
    public var json: String {
        let upgradesJSON = upgrades.map { "\"\($0)\"" }.joined(separator: ",")
        return
            #"{"sid":"\#(sid)","upgrades":[\#(upgradesJSON)],"pingInterval":\#(pingInterval),"pingTimeout":\#(pingTimeout),"maxPayload":\#(maxPayload)}"#
    }

    public var openPacket: EnginePacket { EnginePacket(.open, .text(json)) }
}
