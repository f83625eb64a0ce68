import NIOCore
import NIOHTTP1

/// A complete HTTP request as handlers see it (body collected up to the configured limit).
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer?
    public var remoteAddress: SocketAddress?
    /// Who the request is from: the peer, or the client a trusted proxy forwarded (see `ClientAddress.resolve`).
    public var client: ClientAddress
    /// Completes when this request is over: answered, or its connection closed first (a held
    /// long-poll uses it to notice). Per request, not the connection's `closeFuture`: callbacks
    /// on that one pile up for as long as a keep-alive connection lives.
    public var ended: EventLoopFuture<RequestEnd>?

    public init(
        head: HTTPRequestHead, body: ByteBuffer? = nil, remoteAddress: SocketAddress? = nil,
        client: ClientAddress? = nil
    ) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
        self.client = client ?? .direct(remoteAddress?.ipAddress)
    }

    public var method: HTTPMethod { head.method }
    public var uri: String { head.uri }
    public var headers: HTTPHeaders { head.headers }

    /// The path without the query string.
    public var path: String {
        if let q = head.uri.firstIndex(of: "?") { return String(head.uri[..<q]) }
        return head.uri
    }

    /// Query parameters (percent-decoded; the last value of a repeated name wins).
    public var query: [String: String] {
        guard let q = head.uri.firstIndex(of: "?") else { return [:] }
        return URLEncodedForm.decode(head.uri[head.uri.index(after: q)...])
    }
}

/// How a request ended.
public enum RequestEnd: Sendable, Equatable {
    case answered, connectionClosed
}

public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A plain-text response.
    public static func text(_ status: HTTPResponseStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: ByteBuffer(string: text))
    }
}

public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse
