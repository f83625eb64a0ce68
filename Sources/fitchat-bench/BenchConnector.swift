import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens load-generator clients: TCP, WebSocket upgrade at /socket.io/, then the client's own
/// Socket.IO handshake. A bounded number of connects are in flight at once, so the server's
/// accept backlog is never the thing measured.
struct BenchConnector {
    let group: EventLoopGroup
    let host: String
    let port: Int

    /// Connects one client; the future completes when it has joined its room.
    func connect(timeout: TimeAmount, _ makeClient: @escaping @Sendable (EventLoop) -> BenchClient) -> EventLoopFuture<
        (Channel, BenchClient)
    > {
        let loop = group.next()
        let client = makeClient(loop)
        let timer = loop.scheduleTask(in: timeout) { client.timedOut(after: timeout) }
        client.joinedPromise.futureResult.whenComplete { _ in timer.cancel() }
        let hostHeader = "\(host):\(port)"
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: Self.randomKey(), maxFrameSize: 1 << 24, automaticErrorHandling: true
                ) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let aggregator = NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: 1 << 24
                        )
                        try channel.pipeline.syncOperations.addHandlers([aggregator, client])
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
        return bootstrap.connect(host: host, port: port).flatMap { channel in
            client.joinedPromise.futureResult.map { (channel, client) }
        }.flatMapErrorThrowing { error in
            client.timedOut(after: timeout)  // settles the promise if the connect itself failed
            throw error
        }
    }

    /// Connects every client, `concurrency` at a time; returns the channels and clients that
    /// joined, and the reasons of those that did not.
    func connectAll(
        count: Int, concurrency: Int = 64, timeout: TimeAmount = .seconds(60),
        _ makeClient: @escaping @Sendable (Int, EventLoop) -> BenchClient
    ) async -> (joined: [(Channel, BenchClient)], failures: [String]) {
        var joined: [(Channel, BenchClient)] = []
        var failures: [String] = []
        await withTaskGroup(of: Result<(Channel, BenchClient), Error>.self) { tasks in
            var next = 0
            func start() {
                let index = next
                next += 1
                tasks.addTask {
                    let future = connect(timeout: timeout) { loop in makeClient(index, loop) }
                    do { return .success(try await future.get()) } catch { return .failure(error) }
                }
            }
            while next < min(concurrency, count) { start() }
            for await result in tasks {
                switch result {
                case .success(let pair): joined.append(pair)
                case .failure(let error): failures.append("\(error)")
                }
                if next < count { start() }
            }
        }
        return (joined, failures)
    }

    static func randomKey() -> String {
        Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// `http://HOST:PORT[/…]` → host and port.
    static func parse(url: String) -> (host: String, port: Int)? {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host
        else { return nil }
        return (host, components.port ?? 80)
    }
}
