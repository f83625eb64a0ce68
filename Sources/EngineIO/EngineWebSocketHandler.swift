import EngineIOProtocol
import HTTPServer
import NIOCore
import NIOWebSocket

/// The WebSocket transport of one session: aggregated frames in, pre-encoded frame bytes out.
/// Frames are written through `RawFrameWriter`, which sits before NIO's frame encoder.
// @unchecked Sendable: mutable state is touched only on `eventLoop` (the channel's); other threads go through `onLoop`.
final class EngineWebSocketHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private var ownContext: ChannelHandlerContext?
    /// Writes go through the raw writer at the head of the pipeline, past NIO's frame encoder.
    private var context: ChannelHandlerContext? { ownContext == nil ? nil : raw.context }
    let raw = RawFrameWriter()
    private(set) var session: EngineSession?
    private var closing = false
    /// Written since the last flush; the loop's flusher will flush it.
    private var unflushed = false
    private let flusher: LoopFlusher
    let eventLoop: EventLoop

    /// The channel's write-buffer high watermark must be the queue limit: passing it means the
    /// client stopped reading (see `writeRaw`).
    init(flusher: LoopFlusher) {
        self.flusher = flusher
        eventLoop = flusher.eventLoop
    }

    func bind(_ session: EngineSession) {
        eventLoop.preconditionInEventLoop()
        self.session = session
    }

    func handlerAdded(context: ChannelHandlerContext) { ownContext = context }
    func handlerRemoved(context: ChannelHandlerContext) { ownContext = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard let text = String(validating: frame.unmaskedData.readableBytesView, as: UTF8.self) else {
                closeNow(code: 1007, reason: "invalid UTF-8")
                return
            }
            do {
                let packet = try EnginePacket.decode(text: Substring(text))
                session?.webSocketReceived(packet, from: self)
            } catch {
                closeNow(code: 1002, reason: "invalid Engine.IO packet")
            }
        case .binary:
            session?.webSocketReceived(.message(frame.unmaskedData), from: self)
        case .ping:
            writeRaw(WebSocketFrameBytes.encode(.pong, payload: frame.unmaskedData))
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self) ?? 1000
            closeNow(code: code == 1005 || code == 1006 ? 1000 : code, reason: "")
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge:
            closeNow(code: 1009, reason: "message too large")
        case is NIOWebSocketFrameAggregator.Error:
            closeNow(code: 1002, reason: "protocol error")
        case is NIOWebSocketError:
            // NIO's protocol error handler has sent the close frame (1009 for an oversized frame).
            closing = true
        default:
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        session?.webSocketClosed(self)
        context.fireChannelInactive()
    }

    // MARK: Writing (from any loop)

    func write(_ bytes: ByteBuffer) {
        onLoop { $0.writeRaw(bytes) }
    }

    /// Sends a close frame (after `first`, if given) and closes the connection.
    func close(code: UInt16, first: ByteBuffer? = nil) {
        onLoop { handler in
            if let first { handler.writeRaw(first) }
            handler.closeNow(code: code, reason: "")
        }
    }

    /// Drops the connection without a goodbye: the client is not reading anyway.
    func abort() {
        onLoop { handler in
            handler.closing = true
            handler.context?.close(promise: nil)
        }
    }

    /// Queues the bytes without a promise; the channel counts what is queued, and once that passes
    /// the high watermark (the queue limit) the client is dropped: it stopped reading.
    private func writeRaw(_ bytes: ByteBuffer) {
        guard let context, !closing else { return }
        context.write(NIOAny(bytes), promise: nil)
        guard context.channel.isWritable else {
            closing = true
            context.close(promise: nil)
            session?.webSocketOverflowed()
            return
        }
        if !unflushed {
            unflushed = true
            flusher.needsFlush(self)
        }
    }

    /// Called by the loop's flusher once the burst that wrote here is over.
    func flushPending() {
        unflushed = false
        guard !closing else { return }
        context?.flush()
    }

    private func closeNow(code: UInt16, reason: String) {
        guard let context, !closing else { return }
        closing = true
        // Close once the close frame is out, so the client learns the code.
        context.writeAndFlush(NIOAny(WebSocketFrameBytes.close(code: code, reason: reason))).whenComplete {
            [channel = context.channel] _ in channel.close(promise: nil)
        }
    }

    private func onLoop(_ body: @escaping @Sendable (EngineWebSocketHandler) -> Void) {
        if eventLoop.inEventLoop { body(self) } else { eventLoop.execute { body(self) } }
    }
}

/// An outbound pass-through placed first in the pipeline: writes made through its context reach
/// the socket as they are, so pre-encoded frames skip NIO's per-connection frame encoder.
/// Not Sendable: it lives in its channel's pipeline, and only its `EngineWebSocketHandler` reads
/// `context`, on the channel's loop.
final class RawFrameWriter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    private(set) var context: ChannelHandlerContext?
    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }
}
