import EngineIOProtocol
import HTTPServer
import NIOCore

/// Engine.IO packets encoded once for any number of recipients: WebSocket recipients get the same
/// frame bytes, polling recipients get the packets queued.
public struct OutboundMessage: Sendable {
    public let packets: [EnginePacket]
    public let webSocketFrames: ByteBuffer

    public init(_ packets: [EnginePacket]) {
        self.packets = packets
        var frames = ByteBuffer()
        for packet in packets { frames.writeImmutableBuffer(Self.frame(for: packet)) }
        webSocketFrames = frames
    }

    static func frame(for packet: EnginePacket) -> ByteBuffer {
        switch packet.payload {
        case .binary(let bytes): WebSocketFrameBytes.encode(.binary, payload: bytes)
        case .text: WebSocketFrameBytes.text(packet.textEncoding)
        }
    }
}
