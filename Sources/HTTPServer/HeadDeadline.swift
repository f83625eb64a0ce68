import NIOCore
import NIOHTTP1

/// When a request head must have arrived by, and what to do when it has not: the decision,
/// without sockets or timers. The idle read timeout alone cannot stop a slow client: each byte
/// resets it, so a head trickled one byte a minute would hold its connection for ever (slowloris).
///
/// The first request's head must be complete `headerTimeout` after the connection was accepted —
/// a connection that sends nothing is closed by the same deadline. A keep-alive follow-up's head
/// (a WebSocket upgrade included) must be complete `headerTimeout` after its first byte; before
/// that byte the connection is idle between requests, which the idle timeout governs.
struct HeadDeadline: Equatable {
    enum Phase: Equatable {
        /// Accepted, or a follow-up's first byte came: the clock runs.
        case awaitingHead
        /// A head arrived; its body and answer are the request handler's business.
        case inRequest
        /// The last request was read to its end; nothing of the next one yet.
        case betweenRequests
    }

    enum Timer: Equatable {
        case unchanged, start, cancel
    }

    enum Expiry: Equatable {
        /// Nothing was answered on the connection and part of a head came: say 408, then close.
        case answerRequestTimeout
        /// Close without a word (nothing came, or an earlier answer may still be on its way).
        case close
    }

    private(set) var phase = Phase.awaitingHead
    /// Heads read so far on this connection.
    private(set) var heads = 0
    /// Bytes of the head being awaited that came before the deadline.
    private(set) var pendingHeadBytes = 0

    /// Bytes arrived from the client (any bytes: the decoder has not looked at them yet).
    mutating func received(bytes: Int) -> Timer {
        switch phase {
        case .awaitingHead:
            pendingHeadBytes += bytes
            return .unchanged
        case .inRequest:
            return .unchanged
        case .betweenRequests:
            guard bytes > 0 else { return .unchanged }
            phase = .awaitingHead
            pendingHeadBytes = bytes
            return .start
        }
    }

    /// The decoder produced a whole head.
    mutating func headComplete() -> Timer {
        phase = .inRequest
        heads += 1
        pendingHeadBytes = 0
        return .cancel
    }

    /// The decoder produced the request's end (its body, if any, was read).
    mutating func requestComplete() {
        if phase == .inRequest { phase = .betweenRequests }
    }

    /// The deadline passed while the head was awaited.
    func expired() -> Expiry {
        heads == 0 && pendingHeadBytes > 0 ? .answerRequestTimeout : .close
    }
}

/// First in a connection's pipeline: sees every byte the client sends and runs the head
/// deadline's timer. `HeadDeadlineMarker`, just after the HTTP decoder, tells it when a head and
/// a request's end were decoded (through outbound user events, which travel back towards it).
final class HeadDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Event: Sendable {
        case headComplete, requestComplete
    }

    static let requestTimeoutResponse =
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

    private let timeout: TimeAmount
    private var deadline = HeadDeadline()
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        // The clock starts at accept: the channel is already active when its initializer runs.
        if context.channel.isActive { startTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil, deadline.phase == .awaitingHead, deadline.heads == 0 { startTimer(context: context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelTimer() }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        apply(deadline.received(bytes: unwrapInboundIn(data).readableBytes), context: context)
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .headComplete: apply(deadline.headComplete(), context: context)
        case .requestComplete: deadline.requestComplete()
        }
        promise?.succeed()
    }

    private func apply(_ change: HeadDeadline.Timer, context: ChannelHandlerContext) {
        switch change {
        case .unchanged: break
        case .start: startTimer(context: context)
        case .cancel: cancelTimer()
        }
    }

    private func startTimer(context: ChannelHandlerContext) {
        cancelTimer()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.expire(context: context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func expire(context: ChannelHandlerContext) {
        timer = nil
        guard context.channel.isActive else { return }
        switch deadline.expired() {
        case .answerRequestTimeout:
            let answer = context.channel.allocator.buffer(string: Self.requestTimeoutResponse)
            context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { [channel = context.channel] _ in
                channel.close(promise: nil)
            }
        case .close:
            context.close(promise: nil)
        }
    }
}

/// Just after the HTTP decoder: reports each decoded head and request end to `HeadDeadlineHandler`.
/// Not only request parts pass: when a WebSocket upgrade removes the decoder, the bytes that came
/// after the upgrade request (the first frames) are passed on raw, so anything else goes through.
final class HeadDeadlineMarker: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias InboundOut = Any

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let part = unwrapInboundIn(data) as? HTTPServerRequestPart else {
            context.fireChannelRead(data)
            return
        }
        switch part {
        case .head: context.triggerUserOutboundEvent(HeadDeadlineHandler.Event.headComplete, promise: nil)
        case .end: context.triggerUserOutboundEvent(HeadDeadlineHandler.Event.requestComplete, promise: nil)
        case .body: break
        }
        context.fireChannelRead(data)
    }
}
