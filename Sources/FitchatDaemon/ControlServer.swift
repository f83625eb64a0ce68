import Administration
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The daemon's side of the control socket: reads one JSON `ControlMessage` per line, hands it to
/// the application and answers `{"ok":true}` once it has been applied.
public final class ControlServer: Sendable {
    private let channel: Channel
    public let path: String

    public static func start(
        path: String,
        group: EventLoopGroup,
        logger: Logger,
        handler: @escaping @Sendable (ControlMessage) async -> Void
    ) async throws -> ControlServer {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ControlConnectionHandler(logger: logger, handler: handler))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true)
            .get()
        // Owner and group only: the service user and root (the operator's CLI).
        chmod(path, 0o660)
        return ControlServer(channel: channel, path: path)
    }

    private init(channel: Channel, path: String) {
        self.channel = channel
        self.path = path
    }

    public func close() async {
        try? await channel.close()
        unlink(path)
    }
}

/// Lives on its connection's event loop (added with `syncOperations`, never handed elsewhere).
private final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let logger: Logger
    private let handler: @Sendable (ControlMessage) async -> Void
    private var pending = ByteBuffer()
    private static let maxLine = 64 * 1024

    init(logger: Logger, handler: @escaping @Sendable (ControlMessage) async -> Void) {
        self.logger = logger
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        guard let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if pending.readableBytes > Self.maxLine { context.close(promise: nil) }
            return
        }
        let length = newline - pending.readerIndex
        let line = pending.readSlice(length: length)!
        pending.moveReaderIndex(forwardBy: 1)
        let channel = context.channel
        guard let message = try? JSONDecoder().decode(ControlMessage.self, from: Data(line.readableBytesView)) else {
            logger.warning("control socket: unreadable message")
            Self.reply(#"{"ok":false,"error":"bad message"}"#, on: channel)
            return
        }
        let handler = self.handler
        Task {
            await handler(message)
            ControlConnectionHandler.reply(#"{"ok":true}"#, on: channel)
        }
    }

    private static func reply(_ text: String, on channel: Channel) {
        let buffer = channel.allocator.buffer(string: text + "\n")
        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
    }
}
