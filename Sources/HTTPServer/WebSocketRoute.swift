import NIOCore
import NIOHTTP1

/// A WebSocket endpoint: `accepts` looks at the request head and (with who it is from, see `ClientAddress`) says whether to upgrade (when it
/// says no, the request goes on to the HTTP routes, which answer the refusal); `upgraded` gets the
/// channel once the 101 has gone out, with NIO's frame codec installed, and adds its handlers.
public struct WebSocketRoute: Sendable {
    public var pathPrefix: String
    public var accepts: @Sendable (HTTPRequestHead, ClientAddress) -> Bool
    public var upgraded: @Sendable (Channel, HTTPRequestHead, ClientAddress) -> EventLoopFuture<Void>

    public init(
        pathPrefix: String,
        accepts: @escaping @Sendable (HTTPRequestHead, ClientAddress) -> Bool,
        upgraded: @escaping @Sendable (Channel, HTTPRequestHead, ClientAddress) -> EventLoopFuture<Void>
    ) {
        self.pathPrefix = pathPrefix
        self.accepts = accepts
        self.upgraded = upgraded
    }
}
