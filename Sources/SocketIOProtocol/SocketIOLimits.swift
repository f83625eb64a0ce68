/// Bounds on the binary attachments of one packet.
public struct SocketIOLimits: Sendable, Equatable {
    public var maxAttachments = 10
    public var maxAttachmentBytes = 1_000_000
    public init() {}
}
