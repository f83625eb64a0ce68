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
    /// until the entry is gone. Idle connections are queued in the order they became idle, so the
    /// one idle the longest is found without scanning them all (a full table must stay cheap);
    /// a queue entry is stale once its connection got busy again or went, and is skipped.
    struct State {
        var connections: [ObjectIdentifier: Entry] = [:]
        var idleOrder = CircularBuffer<(key: ObjectIdentifier, mark: Int)>()
        var nextMark = 0

        mutating func markIdle(_ key: ObjectIdentifier) {
            guard connections[key] != nil else { return }
            connections[key]!.idleMark = nextMark
            idleOrder.append((key, nextMark))
            nextMark += 1
            // Stale entries never outnumber live ones by much: a keep-alive connection making
            // many requests must not grow the queue.
            if idleOrder.count > 2 * connections.count + 64 {
                idleOrder = CircularBuffer(idleOrder.filter { connections[$0.key]?.idleMark == $0.mark })
            }
        }

        mutating func removeLongestIdle() -> Channel? {
            while let (key, mark) = idleOrder.popFirst() {
                if let entry = connections[key], entry.idleMark == mark {
                    connections.removeValue(forKey: key)
                    return entry.channel
                }
            }
            return nil
        }
    }

    struct Entry {
        let channel: Channel
        /// When the connection last became idle (nothing in flight); nil while busy.
        var idleMark: Int?
    }

    public init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    public var openConnections: Int { state.withLockedValue { $0.connections.count } }

    /// Every open connection, for a shutdown that drains them.
    var openChannels: [Channel] { state.withLockedValue { $0.connections.values.map(\.channel) } }

    /// Admits an accepted connection (it starts idle); false when it must be refused.
    func admit(_ channel: Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let (admitted, evicted) = state.withLockedValue { state -> (Bool, Channel?) in
            var evicted: Channel?
            if state.connections.count >= maxConnections {
                evicted = state.removeLongestIdle()
                if evicted == nil { return (false, nil) }
            }
            state.connections[key] = Entry(channel: channel)
            state.markIdle(key)
            return (true, evicted)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    /// A request is being answered, or the connection became a WebSocket: never evicted.
    func busy(_ channel: Channel) {
        state.withLockedValue { $0.connections[ObjectIdentifier(channel)]?.idleMark = nil }
    }

    func idle(_ channel: Channel) {
        state.withLockedValue { $0.markIdle(ObjectIdentifier(channel)) }
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
