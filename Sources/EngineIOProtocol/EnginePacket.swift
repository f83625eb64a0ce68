import NIOCore

/// Engine.IO v4 packet types (the first character of a text packet).
public enum EnginePacketType: UInt8, Sendable, CaseIterable {
    case open = 0
    case close, ping, pong, message, upgrade, noop
}

/// The data a packet carries: text, or raw bytes (binary messages only).
public enum EnginePayload: Equatable, Sendable {
    case text(String)
    case binary(ByteBuffer)

    public static let empty = EnginePayload.text("")

    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.readableBytes
        }
    }
}

public struct EnginePacket: Equatable, Sendable {
    public var type: EnginePacketType
    public var payload: EnginePayload

    public init(_ type: EnginePacketType, _ payload: EnginePayload = .empty) {
        self.type = type
        self.payload = payload
    }

    public static func message(_ text: String) -> EnginePacket { .init(.message, .text(text)) }
    public static func message(_ bytes: ByteBuffer) -> EnginePacket { .init(.message, .binary(bytes)) }
}

public enum EngineDecodingError: Error, Equatable, CustomStringConvertible {
    case empty
    case unknownType(String)
    case badBase64

    public var description: String {
        switch self {
        case .empty: "empty packet"
        case .unknownType(let t): "unknown packet type \(t)"
        case .badBase64: "invalid base64 in binary packet"
        }
    }
}

extension EnginePacket {
    /// The text form used on the wire for text packets: type digit, then the data.
    public var textEncoding: String {
        switch payload {
        case .text(let text): "\(type.rawValue)\(text)"
        case .binary(let bytes): "b" + Base64.encode(bytes.readableBytesView)
        }
    }

    /// Decodes one text packet (a WebSocket text frame, or one polling segment; `b…` is base64 binary).
    public static func decode(text: Substring) throws(EngineDecodingError) -> EnginePacket {
        guard let first = text.first else { throw .empty }
        if first == "b" {
            guard let bytes = Base64.decode(text.dropFirst()) else { throw .badBase64 }
            return .message(ByteBuffer(bytes: bytes))
        }
        // ASCII first: other digits' values need not fit a byte (`万` is 10000, and UInt8(10000) traps).
        guard first.isASCII, let digit = first.wholeNumberValue, let type = EnginePacketType(rawValue: UInt8(digit))
        else {
            throw .unknownType(String(first))
        }
        return EnginePacket(type, .text(String(text.dropFirst())))
    }
}
