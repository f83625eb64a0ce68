import NIOCore
import NIOHTTP1

/// Limits and names of the HTTP server.
public struct HTTPServerConfiguration: Sendable {
    /// Largest request body collected for a handler; larger requests get 413.
    public var maxBodySize: Int = 1 << 20
    /// Connections that send nothing this long are closed (`idle_timeout`). Above the Engine.IO
    /// ping interval (25 s), so a quiet WebSocket's pongs keep it open.
    public var idleTimeout: TimeAmount = .seconds(75)
    /// The kernel's queue of connections not yet accepted (`listen_backlog`). Applied to an
    /// inherited socket too: NIO listens on it again (with its own default, 128, unless told).
    public var listenBacklog: Int32 = 1024
    /// A request head must be complete this long after the connection was accepted (the first
    /// request) or after its first byte (a keep-alive follow-up); else the connection is closed
    /// (with 408 when part of a first head came). Bounds what a slow or silent client holds.
    public var headerTimeout: TimeAmount = .seconds(10)
    public var serverName: String = "fitchat"
    /// Largest WebSocket message (after reassembly of fragments); larger ones close with 1009.
    public var maxWebSocketMessage: Int = 1_000_000
    /// Largest request head (request line + headers) accepted.
    public var maxRequestHeadSize: Int = 16 * 1024
    /// Open TCP connections at most (each holds a file descriptor); nil: no cap.
    public var maxConnections: Int?
    /// Which Host headers are answered (others: 421, and no WebSocket upgrade).
    public var hostPolicy = HostPolicy()
    /// Peers whose `Forwarded` / `X-Forwarded-*` headers are believed (`trusted_proxies`).
    public var trustedProxies = TrustedProxies()
    /// The answer to a body over `maxBodySize`, given the request's head (an application may want
    /// JSON for its API); the connection is closed after it.
    public var bodyTooLarge: @Sendable (HTTPRequestHead) -> HTTPResponse = { _ in
        .text(.payloadTooLarge, "request body too large\n")
    }
    public init() {}

    /// NIO's request decoder limits that enforce `maxRequestHeadSize` (one header line, and the
    /// whole header list). One place, so the server and the fuzz target decode alike.
    package var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = maxRequestHeadSize
        limits.maxHeaderFieldSize = maxRequestHeadSize
        return limits
    }
}
