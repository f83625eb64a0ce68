import NIOConcurrencyHelpers
import NIOCore

/// Keeps the number of open TCP connections under a cap, so the process never runs out of file
/// descriptors (then `accept` fails and nothing — not even `/healthz` — gets in). At the cap, a new
/// connection takes the place of the connection idle the longest (no request being answered, not
/// a WebSocket); when every connection is busy, the new one is closed at once.
public final class ConnectionLimiter: Sendable {
    public let maxConnections: Int
    private let state = NIOLockedValueBox(State())

    /// Keyed by the channel's identity: an entry holds its channel, so the key cannot be reused
    /// until the entry is gone.
    struct State {
        var connections: [ObjectIdentifier: Entry] = [:]
    }

    struct Entry {
        let channel: Channel
        /// Since when the connection has had nothing in flight; nil while busy.
        var idleSince: NIODeadline?
    }

    public init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    public var openConnections: Int { state.withLockedValue { $0.connections.count } }

    /// Admits an accepted connection (it starts idle); false when it must be refused.
    func admit(_ channel: Channel) -> Bool {
        let (admitted, evicted) = state.withLockedValue { state -> (Bool, Channel?) in
            var evicted: Channel?
            if state.connections.count >= maxConnections {
                guard let oldest = state.connections.filter({ $0.value.idleSince != nil })
                    .min(by: { $0.value.idleSince! < $1.value.idleSince! }) else { return (false, nil) }
                state.connections.removeValue(forKey: oldest.key)
                evicted = oldest.value.channel
            }
            state.connections[ObjectIdentifier(channel)] = Entry(channel: channel, idleSince: .now())
            return (true, evicted)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    /// A request is being answered, or the connection became a WebSocket: never evicted.
    func busy(_ channel: Channel) {
        state.withLockedValue { $0.connections[ObjectIdentifier(channel)]?.idleSince = nil }
    }

    func idle(_ channel: Channel) {
        state.withLockedValue { $0.connections[ObjectIdentifier(channel)]?.idleSince = .now() }
    }

    func closed(_ channel: Channel) {
        _ = state.withLockedValue { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// On the listening channel: every accepted connection passes the limiter before it is served.
final class ConnectionLimitHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Channel
    typealias InboundOut = Channel
    let limiter: ConnectionLimiter

    init(limiter: ConnectionLimiter) { self.limiter = limiter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        guard limiter.admit(child) else {
            child.close(promise: nil)
            return
        }
        child.closeFuture.whenComplete { [limiter] _ in limiter.closed(child) }
        context.fireChannelRead(data)
    }
}
