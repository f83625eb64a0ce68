import NIOCore

/// Server WebSocket frames, encoded by hand so one encoding can be written to many connections
/// (server frames are never masked, so the bytes are the same for every recipient).
public enum WebSocketFrameBytes {
    public enum Opcode: UInt8 {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    public static func encode(_ opcode: Opcode, payload: ByteBuffer, allocator: ByteBufferAllocator = .init())
        -> ByteBuffer
    {
        let length = payload.readableBytes
        var out = allocator.buffer(capacity: length + 10)
        out.writeInteger(0x80 | opcode.rawValue)
        if length < 126 {
            out.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            out.writeInteger(UInt8(126))
            out.writeInteger(UInt16(length))
        } else {
            out.writeInteger(UInt8(127))
            out.writeInteger(UInt64(length))
        }
        out.writeImmutableBuffer(payload)
        return out
    }

    public static func text(_ text: String) -> ByteBuffer {
        encode(.text, payload: ByteBuffer(string: text))
    }

    public static func close(code: UInt16, reason: String = "") -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeString(reason)
        return encode(.close, payload: payload)
    }
}
