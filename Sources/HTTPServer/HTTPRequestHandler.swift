import Logging
import NIOCore
import NIOHTTP1

/// Collects one request at a time (head + bounded body), runs its route, writes the response.
/// NIO's pipelining handler keeps responses in request order. Not Sendable: it lives on its
/// channel's loop; the route's answer comes back there through `NIOLoopBound`.
final class HTTPRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let limiter: ConnectionLimiter
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var inFlight = false
    /// The request being answered learns through this how it ended.
    private var ended: EventLoopPromise<RequestEnd>?
    /// A response's `.end`, held while the client does not read what was sent: NIO's pipelining
    /// handler hands over the next request only after it, so a client that never reads gets no
    /// more answers queued than the write buffer's high watermark plus one.
    private var heldEnd: (write: () -> Void, done: EventLoopPromise<Void>)?

    init(router: Router, configuration: HTTPServerConfiguration, logger: Logger, limiter: ConnectionLimiter) {
        self.router = router
        self.limiter = limiter
        self.configuration = configuration
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // Not busy yet: a connection still sending its request (maybe one byte a minute) stays
            // evictable at the connection cap; only a whole request being answered is busy.
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > configuration.maxBodySize {
                tooLarge = true
                body = nil
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            limiter.busy(context.channel)
            if tooLarge {
                write(context: context, head: head, response: configuration.bodyTooLarge(head), close: true)
                return
            }
            let remote = context.channel.remoteAddress
            let admission = HeadAdmission(head: head, peer: remote?.ipAddress, configuration: configuration)
            let client = admission.client
            guard admission.hostAllowed else {
                body = nil
                write(
                    context: context, head: head,
                    response: .text(
                        .misdirectedRequest,
                        "this server does not answer to that host name; its operator can add it to server_names\n"),
                    close: true)
                return
            }
            var request = HTTPRequest(head: head, body: body, remoteAddress: remote, client: client)
            let ended = context.eventLoop.makePromise(of: RequestEnd.self)
            self.ended = ended
            request.ended = ended.futureResult
            let answered = request
            body = nil
            inFlight = true
            let router = self.router
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: HTTPResponse.self)
            promise.completeWithTask { await router.respond(to: answered) }
            promise.futureResult.whenSuccess { response in
                let (handler, context) = loopBound.value
                handler.inFlight = false
                handler.end(.answered)
                handler.write(context: context, head: head, response: response, close: !head.isKeepAlive)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(.connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end(.connectionClosed)
    }

    /// The request's end, and (when the connection went) a held response end's promise failed.
    private func end(_ how: RequestEnd) {
        let ended = self.ended
        self.ended = nil
        ended?.succeed(how)
        if how == .connectionClosed {
            heldEnd?.done.fail(ChannelError.ioOnClosedChannel)
            heldEnd = nil
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent, !inFlight {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func write(context: ChannelHandlerContext, head: HTTPRequestHead, response: HTTPResponse, close: Bool) {
        guard context.channel.isActive else { return }
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.readableBytes)")
        if !headers.contains(name: "Server") { headers.add(name: "Server", value: configuration.serverName) }
        if close { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let done = context.writeAndFlushPromise()
        if close { done.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
        let end = { [self] in
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            if !close { limiter.idle(context.channel) }
        }
        guard context.channel.isWritable || close else {
            // Held first, then flushed: the flush may drain the buffer at once and report the
            // channel writable again before it returns, and that report must find the end here.
            heldEnd = (end, done)
            context.flush()
            if context.channel.isWritable { releaseHeldEnd() }
            return
        }
        end()
    }

    private func releaseHeldEnd() {
        guard let held = heldEnd else { return }
        heldEnd = nil
        held.write()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { releaseHeldEnd() }
        context.fireChannelWritabilityChanged()
    }
}

/// What the server decides from a complete request head alone, before any route runs: who the
/// client is, and whether its Host is one this server answers. Package-visible so that the fuzz
/// target (FuzzTargets) runs exactly this code on the heads NIO's decoder hands it.
package struct HeadAdmission {
    package let client: ClientAddress
    package let hostAllowed: Bool

    package init(head: HTTPRequestHead, peer: String?, configuration: HTTPServerConfiguration) {
        client = ClientAddress.resolve(peer: peer, headers: head.headers, trusted: configuration.trustedProxies)
        hostAllowed = configuration.hostPolicy.allows(head.headers, client: client)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
