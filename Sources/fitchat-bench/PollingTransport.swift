import NIOCore
import NIOHTTP1
import NIOPosix

/// A client's Engine.IO packets over HTTP long-polling only (no upgrade): the handshake GET gives
/// the sid, then a GET is always outstanding for what the server sends, and what the client sends
/// goes out by POST, one POST in flight at a time (packets queued meanwhile go out together).
/// Payloads hold one or more packets separated by the record separator (0x1E). Two keep-alive
/// HTTP/1.1 connections, no pipelining: one for the GETs, one for the POSTs.
// @unchecked Sendable: every method runs on the client's loop.
final class PollingTransport: BenchTransport, @unchecked Sendable {
    let client: any EngineIOPeer
    private let path = "/socket.io/?EIO=4&transport=polling"
    private let getter: KeepAliveHTTPConnection
    private let poster: KeepAliveHTTPConnection
    private var sid: String?
    private var outbox: [String] = []
    private var posting = false
    private var closing = false
    private var finished = false

    private static let separator = UInt8(0x1E)

    init(client: any EngineIOPeer, host: String, port: Int) {
        self.client = client
        getter = KeepAliveHTTPConnection(loop: client.eventLoop, host: host, port: port)
        poster = KeepAliveHTTPConnection(loop: client.eventLoop, host: host, port: port)
    }

    /// Opens `client`'s session on its loop; the future fails if the first connection cannot be made.
    static func open(_ client: any EngineIOPeer, host: String, port: Int) -> EventLoopFuture<Void> {
        let transport = PollingTransport(client: client, host: host, port: port)
        client.transport = transport
        return client.eventLoop.flatSubmit { transport.handshake() }
    }

    // MARK: Receiving

    private func handshake() -> EventLoopFuture<Void> {
        getter.request(.GET, uri: path) { [self] result in
            guard !closing else { return }
            guard case .success(let (status, body)) = result, status == 200 else { return failed(result, "handshake") }
            guard let sid = Self.sid(in: body) else { return failed(message: "handshake without a sid") }
            self.sid = sid
            poll()
            deliver(body)
        }
    }

    private func poll() {
        guard let sid, !closing else { return }
        getter.request(.GET, uri: "\(path)&sid=\(sid)") { [self] result in
            guard !closing else { return }
            guard case .success(let (status, body)) = result, status == 200 else { return failed(result, "poll") }
            poll()  // the next one goes out before this one's packets are handled: one is always outstanding
            deliver(body)
        }.whenFailure { [self] error in failed(message: "poll: \(error)") }
    }

    private func deliver(_ body: ByteBuffer) {
        body.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count, !closing {
                let end = bytes[start...].firstIndex(of: Self.separator) ?? bytes.count
                if end > start { client.received(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) }
                start = end + 1
            }
        }
    }

    // MARK: Sending

    func send(_ packet: String) {
        guard !closing else { return }
        outbox.append(packet)
        flush()
    }

    private func flush(then done: (@Sendable () -> Void)? = nil) {
        guard !posting, !outbox.isEmpty, let sid else { return }
        posting = true
        let body = poster.allocator.buffer(string: outbox.joined(separator: "\u{1e}"))
        outbox.removeAll(keepingCapacity: true)
        poster.request(.POST, uri: "\(path)&sid=\(sid)", body: body) { [self] result in
            posting = false
            if let done { return done() }
            guard !closing else { return }
            guard case .success(let (status, _)) = result, status == 200 else { return failed(result, "post") }
            flush()
        }.whenFailure { [self] error in failed(message: "post: \(error)") }
    }

    // MARK: Closing

    /// Says goodbye (an Engine.IO close packet) when the session is up, then closes both connections.
    func close() {
        guard !closing else { return }
        closing = true
        guard sid != nil else { return finish() }
        outbox = ["1"]
        if posting {
            // The close packet follows the POST in flight.
            poster.onIdle = { [self] in flush { [self] in finish() } }
        } else {
            flush { [self] in finish() }
        }
        client.eventLoop.scheduleTask(in: .seconds(2)) { [self] in finish() }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        closing = true
        getter.close()
        poster.close()
        client.transportClosed()
    }

    private func failed(_ result: Result<(Int, ByteBuffer), Error>, _ what: String) {
        switch result {
        case .success(let (status, body)):
            failed(message: "\(what): HTTP \(status) \(String(buffer: body).prefix(120))")
        case .failure(let error):
            failed(message: "\(what): \(error)")
        }
    }

    private func failed(message: String) {
        struct PollingFailed: Error, CustomStringConvertible { var description: String }
        guard !closing else { return }
        closing = true  // no goodbye over a session that failed
        client.transportFailed(PollingFailed(description: message))
        finish()
    }

    /// The sid in an open packet `0{"sid":"…",…}` (the first packet of the handshake's payload).
    static func sid(in body: ByteBuffer) -> String? {
        let text = String(buffer: body)
        guard text.first == "0", let start = text.range(of: #""sid":""#)?.upperBound,
            let end = text[start...].firstIndex(of: "\"")
        else { return nil }
        return String(text[start..<end])
    }
}

/// One keep-alive HTTP/1.1 client connection, one request at a time (the caller waits for each
/// answer). It connects on first use and again after the server closed it between requests; a
/// request that met a reused connection closing before any answer is sent once more on a new one.
// @unchecked Sendable: every method runs on `loop`.
final class KeepAliveHTTPConnection: @unchecked Sendable {
    typealias Completion = @Sendable (Result<(Int, ByteBuffer), Error>) -> Void

    let loop: EventLoop
    let host: String
    let port: Int
    let allocator = ByteBufferAllocator()
    /// Called once when the request in flight has completed (then cleared).
    var onIdle: (@Sendable () -> Void)?
    private var channel: Channel?
    private var closed = false

    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    init(loop: EventLoop, host: String, port: Int) {
        self.loop = loop
        self.host = host
        self.port = port
    }

    /// Sends one request; `done` gets the status and body. The future fails only if no connection
    /// could be made.
    @discardableResult
    func request(_ method: HTTPMethod, uri: String, body: ByteBuffer? = nil, done: @escaping Completion)
        -> EventLoopFuture<Void>
    {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        if let body {
            headers.add(name: "Content-Type", value: "text/plain;charset=UTF-8")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        return send(head, body: body, retry: true, done: done)
    }

    private func send(_ head: HTTPRequestHead, body: ByteBuffer?, retry: Bool, done: @escaping Completion)
        -> EventLoopFuture<Void>
    {
        guard !closed else { return loop.makeFailedFuture(ConnectionClosed()) }
        let reused = channel != nil
        return connection().flatMapThrowing { [self] channel in
            let exchange = try channel.pipeline.syncOperations.handler(type: HTTPExchange.self)
            exchange.start { [self] result, answered in
                if case .failure = result, !answered, reused, retry, !closed {
                    // The server dropped an idle keep-alive connection as this request went out.
                    send(head, body: body, retry: false, done: done).whenFailure { done(.failure($0)) }
                    return
                }
                done(result)
                if let onIdle {
                    self.onIdle = nil
                    onIdle()
                }
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
    }

    private func connection() -> EventLoopFuture<Channel> {
        if let channel, channel.isActive { return loop.makeSucceededFuture(channel) }
        channel = nil
        return ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPExchange())
                }
            }
            .connect(host: host, port: port)
            .map { [self] channel in
                if closed {
                    channel.close(promise: nil)
                } else {
                    self.channel = channel
                }
                return channel
            }
    }

    func close() {
        closed = true
        channel?.close(promise: nil)
        channel = nil
    }
}

/// Collects one response at a time on a client connection and hands it to whoever sent the
/// request; closes the connection when the server asked to (`Connection: close`).
// @unchecked Sendable: every method runs on its channel's loop.
final class HTTPExchange: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    /// The result, and whether any of the answer had arrived.
    typealias Completion = @Sendable (Result<(Int, ByteBuffer), Error>, Bool) -> Void

    private var completion: Completion?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func start(_ completion: @escaping Completion) {
        self.completion = completion
        head = nil
        body.clear()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head, let completion else { return }
            self.completion = nil
            if !head.isKeepAlive { context.close(promise: nil) }
            completion(.success((Int(head.status.code), body)), true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(KeepAliveHTTPConnection.ConnectionClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(error)
        context.close(promise: nil)
    }

    private func finish(_ error: Error) {
        guard let completion else { return }
        self.completion = nil
        completion(.failure(error), head != nil)
    }
}
