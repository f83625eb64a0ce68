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
