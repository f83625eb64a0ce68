import NIOCore
import NIOHTTP1

/// A complete HTTP request as handlers see it (body collected up to the configured limit).
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer?
    public var remoteAddress: SocketAddress?
    /// Completes when this request is over: answered, or its connection closed first (a held
    /// long-poll uses it to notice). Per request, not the connection's `closeFuture`: callbacks
    /// on that one pile up for as long as a keep-alive connection lives.
    public var ended: EventLoopFuture<RequestEnd>?

    public init(head: HTTPRequestHead, body: ByteBuffer? = nil, remoteAddress: SocketAddress? = nil) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
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
        var result: [String: String] = [:]
        for pair in head.uri[head.uri.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(kv[0]).removingPercentEncoding ?? String(kv[0])
            let value =
                kv.count > 1
                ? (String(String(kv[1]).map { $0 == "+" ? " " : $0 }).removingPercentEncoding ?? String(kv[1])) : ""
            result[name] = value
        }
        return result
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

extension String {
    var removingPercentEncoding: String? {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
