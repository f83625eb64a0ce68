import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A client's Engine.IO packets as WebSocket text frames on one channel: TCP, the upgrade at
/// /socket.io/, then frames both ways.
// @unchecked Sendable: every method runs on its channel's loop, the client's loop.
final class WebSocketTransport: ChannelInboundHandler, RemovableChannelHandler, BenchTransport, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let client: any EngineIOPeer
    private var context: ChannelHandlerContext?

    init(client: any EngineIOPeer) { self.client = client }

    /// Connects `client` to HOST:PORT on its loop.
    static func open(_ client: any EngineIOPeer, host: String, port: Int) -> EventLoopFuture<Void> {
        let transport = WebSocketTransport(client: client)
        client.transport = transport
        let hostHeader = "\(host):\(port)"
        let bootstrap = ClientBootstrap(group: client.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: randomKey(), maxFrameSize: 1 << 24, automaticErrorHandling: true
                ) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let aggregator = NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: 1 << 24
                        )
                        try channel.pipeline.syncOperations.addHandlers([aggregator, transport])
                    }
                }
                let sender = UpgradeRequestSender(host: hostHeader, path: "/socket.io/?EIO=4&transport=websocket")
                let configuration: NIOHTTPClientUpgradeConfiguration = (
                    upgraders: [upgrader],
                    completionHandler: { context in
                        context.pipeline.removeHandler(sender, promise: nil)
                    }
                )
                // Bytes that arrive with the 101 (the Engine.IO open packet) must reach the WebSocket decoder.
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes, withClientUpgrade: configuration)
                    try channel.pipeline.syncOperations.addHandler(sender)
                }
            }
        return bootstrap.connect(host: host, port: port).map { _ in }
    }

    static func randomKey() -> String {
        Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    // MARK: BenchTransport

    func send(_ packet: String) {
        guard let context else { return }
        write(context.channel.allocator.buffer(string: packet), opcode: .text, context: context)
    }

    func close() {
        if let context { context.close(promise: nil) } else { client.transportClosed() }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        client.transportClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        client.transportFailed(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text: frame.unmaskedData.withUnsafeReadableBytes { client.received($0) }
        case .ping: write(frame.unmaskedData, opcode: .pong, context: context)
        case .connectionClose: context.close(promise: nil)
        default: break
        }
    }

    private func write(_ data: ByteBuffer, opcode: WebSocketOpcode, context: ChannelHandlerContext) {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}

/// Sends the HTTP request that the WebSocket client upgrader turns into an upgrade.
final class UpgradeRequestSender: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let host: String
    let path: String

    init(host: String, path: String) {
        self.host = host
        self.path = path
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }
}
