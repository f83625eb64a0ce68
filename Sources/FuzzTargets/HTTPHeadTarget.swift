import HTTPServer
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// HTTP request heads through the server's own decoding: NIO's HTTP/1 decoder with fitchat's
/// limits (`HTTPServerConfiguration.decoderLimits`), pipelining and error handling, the head
/// deadline's handlers, then for each request what `HTTPRequestHandler` decides from the head
/// alone (`HeadAdmission`: ClientAddress.resolve, HostPolicy) plus the Origin check and the
/// query string (`URLEncodedForm`). Not `HTTPRequestHandler` itself: it answers through a route
/// run in a Task, which would complete an `EmbeddedEventLoop` promise from another thread.
///
/// Input: byte 0 picks the peer (trusted proxy or not, IPv4 or IPv6), byte 1 where the rest is cut
/// in two reads, then the bytes the client sends.
enum HTTPHeadTarget {
    static let peers: [String?] = ["127.0.0.1", "10.1.2.3", "192.0.2.7", "::1", "2001:db8::5", "2001:db9::1", nil]

    /// Small head limit (fuzz inputs are a few KB), the proxies above trusted.
    static let configuration: HTTPServerConfiguration = {
        var configuration = HTTPServerConfiguration()
        configuration.maxRequestHeadSize = 1024
        configuration.hostPolicy = HostPolicy(serverNames: ["chat.example-gym.com"])
        if case .success(let trusted) = TrustedProxies.parse(["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]) {
            configuration.trustedProxies = trusted
        }
        return configuration
    }()

    static func run(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let peer = peers[Int(input[0]) % peers.count]
        let bytes = input[2...]
        let cut = bytes.startIndex + Int(input[1]) % (bytes.count + 1)

        let channel = EmbeddedChannel()
        do {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: true, withServerUpgrade: nil, withErrorHandling: true,
                withOutboundHeaderValidation: true, withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: configuration.decoderLimits)
            try channel.pipeline.syncOperations.addHeadDeadline(timeout: configuration.headerTimeout)
            try channel.pipeline.syncOperations.addHandler(HeadSink(peer: peer, configuration: configuration))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4711)).wait()
        } catch {
            fatalError("fuzz setup failed: \(error)")
        }
        for piece in [bytes[..<cut], bytes[cut...]] where !piece.isEmpty && channel.isActive {
            // A decoding error is answered (400) and closes the channel: an outcome, not a failure.
            _ = try? channel.writeInbound(channel.allocator.buffer(bytes: piece))
        }
        // The head deadline fires too: a partial head is answered 408 and closed.
        channel.embeddedEventLoop.advanceTime(by: configuration.headerTimeout + .seconds(1))
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}

/// Last in the pipeline: runs the head checks on each complete request and answers it at once
/// (the pipelining handler holds the next request until then).
private final class HeadSink: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let peer: String?
    let configuration: HTTPServerConfiguration
    var head: HTTPRequestHead?

    init(peer: String?, configuration: HTTPServerConfiguration) {
        self.peer = peer
        self.configuration = configuration
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            checkLimits(head)
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            admit(head)
            let response = HTTPResponseHead(version: head.version, status: .noContent)
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// A head that passed the decoder is within the configured limits.
    func checkLimits(_ head: HTTPRequestHead) {
        let limit = configuration.maxRequestHeadSize
        var total = 0
        for (name, value) in head.headers {
            let bytes = wireBytes(name) + wireBytes(value)
            fuzzCheck(bytes <= limit, "a header of \(bytes) bytes passed the \(limit)-byte limit")
            total += bytes
        }
        fuzzCheck(total <= limit, "headers of \(total) bytes passed the \(limit)-byte limit")
    }

    /// At least how many bytes the text was on the wire: the decoder counts raw bytes, but `String`
    /// turns each invalid byte into U+FFFD, three bytes of UTF-8.
    func wireBytes(_ text: String) -> Int {
        text.utf8.count - 2 * text.unicodeScalars.count { $0 == "\u{FFFD}" }
    }

    func admit(_ head: HTTPRequestHead) {
        let admission = HeadAdmission(head: head, peer: peer, configuration: configuration)
        let client = admission.client
        let peerName = peer ?? "unknown"
        fuzzCheck(client.peer == peerName, "client peer \(client.peer) is not the peer \(peerName)")
        if !configuration.trustedProxies.contains(peerName) {
            // An untrusted peer's forwarding headers are ignored, all of them.
            fuzzCheck(client == .direct(peer), "untrusted \(peerName) was believed: \(client)")
        }
        if !client.forwarded { fuzzCheck(client.address == peerName, "not forwarded, yet address \(client.address)") }
        if let scheme = client.forwardedScheme { fuzzCheck(scheme == "http" || scheme == "https", "scheme \(scheme)") }
        // A Host that names no server (several, or a name not configured) is refused.
        if head.headers["Host"].count > 1 { fuzzCheck(!admission.hostAllowed, "several Host headers allowed") }
        _ = OriginPolicy().allows(head.headers, client: client)
        _ = OriginPolicy(allowed: ["https://chat.example-gym.com"]).allows(head.headers, client: client)
        let request = HTTPRequest(head: head, client: client)
        fuzzCheck(!request.path.contains("?"), "path \(request.path) keeps its query")
        _ = request.query
    }
}
