import NIOCore

public enum SocketIOPacketType: UInt8, Sendable {
    case connect = 0
    case disconnect, event, ack, connectError, binaryEvent, binaryAck
}

/// A Socket.IO v5 packet. `data` holds binary values in place; encoding swaps them for
/// placeholders and attachments.
public struct SocketIOPacket: Equatable, Sendable {
    public var type: SocketIOPacketType
    public var namespace: String
    public var id: UInt64?
    public var data: JSONValue?

    public init(_ type: SocketIOPacketType, namespace: String = "/", id: UInt64? = nil, data: JSONValue? = nil) {
        self.type = type
        self.namespace = namespace
        self.id = id
        self.data = data
    }

    public static func event(_ name: String, _ args: [JSONValue], namespace: String = "/", id: UInt64? = nil)
        -> SocketIOPacket
    {
        SocketIOPacket(.event, namespace: namespace, id: id, data: .array([.string(name)] + args))
    }

    public static func ack(_ args: [JSONValue], id: UInt64, namespace: String = "/") -> SocketIOPacket {
        SocketIOPacket(.ack, namespace: namespace, id: id, data: .array(args))
    }

    /// Event name and arguments of an EVENT.
    public var event: (name: String, args: [JSONValue])? {
        guard type == .event || type == .binaryEvent, case .array(let items)? = data else { return nil }
        // The reference server takes a number as an event name too; here it becomes its text, so
        // the application can answer it (an unknown event) instead of leaving an ack unanswered.
        let name: String
        switch items.first {
        case .string(let text)?: name = text
        case .int(let number)?: name = String(number)
        default: return nil
        }
        return (name, Array(items.dropFirst()))
    }
}

public enum SocketIODecodingError: Error, Equatable, CustomStringConvertible {
    case empty
    case unknownType(Character)
    case badAttachmentCount
    case tooManyAttachments(Int)
    case invalidJSON
    case invalidPayload(SocketIOPacketType)
    case unexpectedBinary
    case attachmentTooLarge

    public var description: String {
        switch self {
        case .empty: "empty packet"
        case .unknownType(let c): "unknown packet type \(c)"
        case .badAttachmentCount: "invalid attachment count"
        case .tooManyAttachments(let n): "too many attachments (\(n))"
        case .invalidJSON: "invalid JSON payload"
        case .invalidPayload(let type): "invalid payload for a \(type) packet"
        case .unexpectedBinary: "binary data without a pending binary packet"
        case .attachmentTooLarge: "attachments too large"
        }
    }
}

// MARK: Encoding

extension SocketIOPacket {
    /// The text packet and the binary attachments that follow it. A packet carrying binary is
    /// sent as BINARY_EVENT / BINARY_ACK with placeholders.
    public func encode() -> (text: String, attachments: [ByteBuffer]) {
        var attachments: [ByteBuffer] = []
        var payload = data
        var type = self.type
        if let data, data.containsBinary {
            payload = Self.deconstruct(data, into: &attachments)
            if type == .event { type = .binaryEvent }
            if type == .ack { type = .binaryAck }
        }
        var out = String(type.rawValue)
        if type == .binaryEvent || type == .binaryAck { out += "\(attachments.count)-" }
        if namespace != "/" { out += namespace + "," }
        if let id { out += String(id) }
        payload?.write(to: &out)
        return (out, attachments)
    }

    private static func deconstruct(_ value: JSONValue, into attachments: inout [ByteBuffer]) -> JSONValue {
        switch value {
        case .binary(let bytes):
            attachments.append(bytes)
            return .object([("_placeholder", .bool(true)), ("num", .int(Int64(attachments.count - 1)))])
        case .array(let items):
            return .array(items.map { deconstruct($0, into: &attachments) })
        case .object(let pairs):
            return .object(pairs.map { ($0.0, deconstruct($0.1, into: &attachments)) })
        default:
            return value
        }
    }
}

// MARK: Decoding

extension SocketIOPacket {
    /// Decodes a text packet. For BINARY_* it also returns how many attachments must follow.
    /// What precedes a packet's JSON: enough to decide whether it is wanted at all, so a packet
    /// that will be dropped (an event before CONNECT) costs no JSON parsing.
    public struct Header: Equatable, Sendable {
        public var type: SocketIOPacketType
        public var attachments: Int
        public var namespace: String
        public var id: UInt64?
        /// Where the JSON data starts in the text.
        public var dataStart: String.Index
    }

    public static func header(_ text: String, limits: SocketIOLimits = .init()) throws(SocketIODecodingError) -> Header
    {
        var rest = Substring(text)
        guard let first = rest.first else { throw .empty }
        guard let digit = first.wholeNumberValue, first.isASCII, let type = SocketIOPacketType(rawValue: UInt8(digit))
        else {
            throw .unknownType(first)
        }
        rest = rest.dropFirst()
        var attachments = 0
        if type == .binaryEvent || type == .binaryAck {
            guard let dash = rest.firstIndex(of: "-"), let count = Int(rest[..<dash]), count >= 0 else {
                throw .badAttachmentCount
            }
            guard count <= limits.maxAttachments else { throw .tooManyAttachments(count) }
            attachments = count
            rest = rest[rest.index(after: dash)...]
        }
        var namespace = "/"
        if rest.first == "/" {
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            namespace = String(rest[..<end])
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            // A namespace may carry a query string (`/admin?token=x`): it is not part of the name.
            if let query = namespace.firstIndex(of: "?") { namespace = String(namespace[..<query]) }
        }
        var id: UInt64?
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty {
            guard let value = UInt64(digits) else { throw .invalidPayload(type) }
            id = value
            rest = rest.dropFirst(digits.count)
        }
        return Header(type: type, attachments: attachments, namespace: namespace, id: id, dataStart: rest.startIndex)
    }

    public static func decode(_ text: String, limits: SocketIOLimits = .init()) throws(SocketIODecodingError) -> (
        packet: SocketIOPacket, attachments: Int
    ) {
        try decode(text, header: try header(text, limits: limits))
    }

    /// The whole packet, once its `header` said it is wanted.
    public static func decode(_ text: String, header: Header) throws(SocketIODecodingError) -> (
        packet: SocketIOPacket, attachments: Int
    ) {
        let rest = text[header.dataStart...]
        var data: JSONValue?
        if !rest.isEmpty {
            do { data = try JSONValue.parse(rest) } catch { throw .invalidJSON }
        }
        let packet = SocketIOPacket(header.type, namespace: header.namespace, id: header.id, data: data)
        guard packet.hasValidPayload else { throw .invalidPayload(header.type) }
        return (packet, header.attachments)
    }

    var hasValidPayload: Bool {
        switch type {
        case .connect:
            return data == nil || data!.isObject
        case .disconnect:
            return data == nil
        case .connectError:
            return data != nil && (data!.isObject || data!.stringValue != nil)
        case .event, .binaryEvent:
            guard case .array(let items)? = data, let first = items.first else { return false }
            return first.stringValue != nil || first.intValue != nil
        case .ack, .binaryAck:
            guard case .array? = data else { return false }
            return id != nil
        }
    }

    /// Puts attachments back where their placeholders are.
    public func reconstructed(with attachments: [ByteBuffer]) throws(SocketIODecodingError) -> SocketIOPacket {
        var copy = self
        if let data { copy.data = try Self.reconstruct(data, attachments) }
        copy.type = type == .binaryEvent ? .event : type == .binaryAck ? .ack : type
        return copy
    }

    private static func reconstruct(_ value: JSONValue, _ attachments: [ByteBuffer]) throws(SocketIODecodingError)
        -> JSONValue
    {
        switch value {
        case .object(let pairs):
            if value["_placeholder"]?.boolValue == true {
                guard let num = value["num"]?.intValue, num >= 0, num < attachments.count else {
                    throw .invalidPayload(.binaryEvent)
                }
                return .binary(attachments[Int(num)])
            }
            var out: [(String, JSONValue)] = []
            for pair in pairs { out.append((pair.0, try reconstruct(pair.1, attachments))) }
            return .object(out)
        case .array(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try reconstruct(item, attachments)) }
            return .array(out)
        default:
            return value
        }
    }
}
