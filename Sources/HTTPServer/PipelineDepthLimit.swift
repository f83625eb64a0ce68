import NIOCore
import NIOHTTP1

/// Closes a connection that pipelines more than `maxDepth` requests ahead of their answers.
/// NIO's pipelining handler queues every request it has read while one is being answered; a client
/// that sends thousands of `GET /chat` and never reads cost the daemon megabytes per connection
/// (0.6–2.5 MB each, found by the issue-17 attack). Browsers do not pipeline at all; 16 ahead is
/// plenty for anything else. Sits right after the HTTP decoder, so it counts what was decoded.
final class PipelineDepthLimit: ChannelDuplexHandler, RemovableChannelHandler {
    // Any: the bytes of a WebSocket that arrived with its upgrade request pass through here
    // before the upgrade removes this handler (typed, they trapped).
    typealias InboundIn = Any
    typealias InboundOut = Any
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    static let maxDepth = 16
    private var unanswered = 0
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        if case .head = unwrapInboundIn(data) as? HTTPServerRequestPart {
            unanswered += 1
            if unanswered > Self.maxDepth {
                closing = true
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) as? HTTPServerResponsePart { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }
}
