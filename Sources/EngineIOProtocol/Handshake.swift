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
    /// Open sessions from one address, and those of them no namespace CONNECT admitted yet.
    public var maxSessionsPerAddress: Int = 1000
    public var maxHalfOpenSessionsPerAddress: Int = 64
    public init() {}
}

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
        return #"{"sid":"\#(sid)","upgrades":[\#(upgradesJSON)],"pingInterval":\#(pingInterval),"pingTimeout":\#(pingTimeout),"maxPayload":\#(maxPayload)}"#
    }

    public var openPacket: EnginePacket { EnginePacket(.open, .text(json)) }
}

public enum EngineTransport: String, Sendable, Equatable {
    case polling, websocket
}

/// Engine.IO's refusal codes, answered as HTTP 400 (403 for Forbidden) with `{"code","message"}`.
public enum EngineError: Int, Error, Sendable, Equatable {
    case unknownTransport = 0
    case unknownSession = 1
    case badHandshakeMethod = 2
    case badRequest = 3
    case forbidden = 4
    case unsupportedProtocolVersion = 5

    public var message: String {
        switch self {
        case .unknownTransport: "Transport unknown"
        case .unknownSession: "Session ID unknown"
        case .badHandshakeMethod: "Bad handshake method"
        case .badRequest: "Bad request"
        case .forbidden: "Forbidden"
        case .unsupportedProtocolVersion: "Unsupported protocol version"
        }
    }

    public var httpStatus: Int { self == .forbidden ? 403 : 400 }
    public var json: String { #"{"code":\#(rawValue),"message":"\#(message)"}"# }
}

/// An Engine.IO HTTP request, classified before any session is touched.
public enum EngineRequest: Equatable, Sendable {
    /// A new session (GET without sid), over this transport.
    case handshake(EngineTransport)
    /// A long-poll GET for an existing session.
    case poll(sid: String)
    /// Packets POSTed to an existing session.
    case post(sid: String)
    /// A WebSocket upgrade of an existing polling session.
    case upgrade(sid: String)

    /// Classifies by method and query (`EIO`, `transport`, `sid`) and whether the request asks
    /// for a WebSocket upgrade.
    public static func classify(
        method: String, query: [String: String], isWebSocketUpgrade: Bool, configuration: EngineConfiguration
    ) -> Result<EngineRequest, EngineError> {
        guard query["EIO"] == "4" else { return .failure(.unsupportedProtocolVersion) }
        guard let transport = query["transport"].flatMap(EngineTransport.init(rawValue:)) else {
            return .failure(.unknownTransport)
        }
        switch transport {
        case .polling where !configuration.allowPolling, .websocket where !configuration.allowWebSocket:
            return .failure(.unknownTransport)
        default: break
        }
        if transport == .websocket, !isWebSocketUpgrade { return .failure(.badRequest) }
        guard let sid = query["sid"] else {
            guard method == "GET" else { return .failure(.badHandshakeMethod) }
            return .success(.handshake(transport))
        }
        switch (transport, method) {
        case (.websocket, _): return .success(.upgrade(sid: sid))
        case (.polling, "GET"): return .success(.poll(sid: sid))
        case (.polling, "POST"): return .success(.post(sid: sid))
        default: return .failure(.badRequest)
        }
    }
}
