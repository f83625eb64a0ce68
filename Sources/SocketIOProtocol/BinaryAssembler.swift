import NIOCore

/// Collects the attachments that follow a BINARY_* packet.
public struct BinaryAssembler: Sendable {
    public private(set) var pending: (packet: SocketIOPacket, expected: Int, received: [ByteBuffer], bytes: Int)?
    let limits: SocketIOLimits

    public init(limits: SocketIOLimits = .init()) { self.limits = limits }

    /// A decoded text packet: complete at once, or held until its attachments arrive.
    public mutating func start(_ packet: SocketIOPacket, attachments: Int) throws(SocketIODecodingError)
        -> SocketIOPacket?
    {
        guard attachments > 0 else { return try packet.reconstructed(with: []) }
        pending = (packet, attachments, [], 0)
        return nil
    }

    /// A binary message: returns the packet once its last attachment arrived.
    public mutating func add(_ bytes: ByteBuffer) throws(SocketIODecodingError) -> SocketIOPacket? {
        guard var current = pending else { throw .unexpectedBinary }
        current.received.append(bytes)
        current.bytes += bytes.readableBytes
        guard current.bytes <= limits.maxAttachmentBytes else {
            pending = nil
            throw .attachmentTooLarge
        }
        guard current.received.count == current.expected else {
            pending = current
            return nil
        }
        pending = nil
        return try current.packet.reconstructed(with: current.received)
    }

    public var isWaiting: Bool { pending != nil }
}
