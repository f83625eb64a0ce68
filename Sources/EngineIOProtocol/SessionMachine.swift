import NIOCore

/// Why a session ended.
public enum EngineCloseReason: Equatable, Sendable {
    case clientClosed  // close packet, or the WebSocket went away
    case pingTimeout
    case serverClosed
    case transportError(String)
    case queueOverflow  // the client stopped reading
}

/// The state of one Engine.IO session, independent of sockets: the shell feeds it what happened
/// (a poll arrived, packets were posted, a probe came over WebSocket, time passed) and carries
/// out the actions it returns.
public struct EngineSessionMachine: Sendable {
    public enum Action: Equatable, Sendable {
        /// Complete the pending long-poll GET with these packets.
        case answerPoll([EnginePacket])
        /// Refuse the current poll/post with this error (the session closes too when `.close` follows).
        case refuse(EngineError)
        /// Write these packets to the WebSocket.
        case sendOnWebSocket([EnginePacket])
        /// A message for the layer above.
        case deliver(EnginePayload)
        /// End the session (answer any pending poll with a close packet, close the WebSocket).
        case close(EngineCloseReason)
    }

    public private(set) var transport: EngineTransport
    public private(set) var upgrading = false
    public private(set) var isClosed = false
    public private(set) var pollPending = false
    public private(set) var queuedBytes = 0
    public private(set) var heartbeat: Heartbeat
    private var queue: [EnginePacket] = []
    private let configuration: EngineConfiguration

    public init(transport: EngineTransport, configuration: EngineConfiguration, now: NIODeadline) {
        self.transport = transport
        self.configuration = configuration
        heartbeat = Heartbeat(interval: configuration.pingInterval, timeout: configuration.pingTimeout, now: now)
    }

    // MARK: Outbound

    /// Packets from the layer above (or the server's own pings).
    public mutating func send(_ packets: [EnginePacket]) -> [Action] {
        guard !isClosed else { return [] }
        if transport == .websocket { return [.sendOnWebSocket(packets)] }
        queue.append(contentsOf: packets)
        queuedBytes += packets.reduce(0) { $0 + $1.payload.byteCount + 1 }
        if queuedBytes > configuration.maxQueuedBytes { return close(.queueOverflow) }
        return flushToPoll()
    }

    private mutating func flushToPoll() -> [Action] {
        guard pollPending, !queue.isEmpty else { return [] }
        pollPending = false
        return [.answerPoll(takeForPoll(room: configuration.maxPacketsPerPoll))]
    }

    /// Up to `room` queued packets, oldest first; the rest wait for the next poll.
    private mutating func takeForPoll(room: Int) -> [EnginePacket] {
        let taken = Array(queue.prefix(max(room, 0)))
        queue.removeFirst(taken.count)
        queuedBytes -= taken.reduce(0) { $0 + $1.payload.byteCount + 1 }
        if queue.isEmpty { queuedBytes = 0 }
        return taken
    }

    // MARK: Polling

    /// A long-poll GET arrived. Answered at once when packets wait, else held.
    public mutating func pollArrived() -> [Action] {
        guard !isClosed else { return [.refuse(.badRequest)] }
        guard transport == .polling else { return [.refuse(.badRequest)] }
        if pollPending {
            // Two concurrent polls: a protocol violation that ends the session.
            return [.refuse(.badRequest)] + close(.transportError("overlapping polls"))
        }
        pollPending = true
        return flushToPoll()
    }

    /// The held poll's connection went away before it was answered.
    public mutating func pollAbandoned() {
        pollPending = false
    }

    /// Packets POSTed by the client.
    public mutating func posted(_ packets: [EnginePacket], now: NIODeadline) -> [Action] {
        guard !isClosed, transport == .polling || upgrading else { return [.refuse(.badRequest)] }
        var actions: [Action] = []
        for packet in packets {
            actions += received(packet, now: now)
            if isClosed { break }
        }
        return actions
    }

    // MARK: WebSocket

    /// A packet from the WebSocket, during an upgrade or after it.
    public mutating func webSocketReceived(_ packet: EnginePacket, now: NIODeadline) -> [Action] {
        guard !isClosed else { return [] }
        if transport == .polling {
            switch (packet.type, packet.payload) {
            case (.ping, .text("probe")):
                upgrading = true
                var actions: [Action] = [.sendOnWebSocket([EnginePacket(.pong, .text("probe"))])]
                // Release the pending poll so the client can finish the upgrade (a noop packet).
                if pollPending {
                    pollPending = false
                    actions.append(
                        .answerPoll(takeForPoll(room: configuration.maxPacketsPerPoll - 1) + [EnginePacket(.noop)]))
                }
                return actions
            case (.upgrade, _) where upgrading:
                upgrading = false
                transport = .websocket
                var actions: [Action] = []
                if pollPending {
                    pollPending = false
                    actions.append(.answerPoll([EnginePacket(.noop)]))
                }
                if !queue.isEmpty { actions.append(.sendOnWebSocket(queue)) }
                queue.removeAll()
                queuedBytes = 0
                return actions
            default:
                return close(.transportError("unexpected packet during upgrade"))
            }
        }
        return received(packet, now: now)
    }

    /// The WebSocket closed or failed. Before the upgrade completed, the session lives on over polling.
    public mutating func webSocketClosed() -> [Action] {
        guard !isClosed else { return [] }
        if transport == .polling {
            upgrading = false
            return []
        }
        return close(.clientClosed)
    }

    // MARK: Both

    private mutating func received(_ packet: EnginePacket, now: NIODeadline) -> [Action] {
        switch packet.type {
        case .pong:
            heartbeat.receivedPong(now: now)
            return []
        case .message:
            return [.deliver(packet.payload)]
        case .close:
            return close(.clientClosed)
        case .noop:
            return []
        case .open, .ping, .upgrade:
            return close(.transportError("unexpected \(packet.type) packet"))
        }
    }

    /// Time passed: send a ping or time out.
    public mutating func tick(now: NIODeadline) -> [Action] {
        guard !isClosed else { return [] }
        switch heartbeat.due(now: now) {
        case .none: return []
        case .sendPing: return send([EnginePacket(.ping)])
        case .timedOut: return close(.pingTimeout)
        }
    }

    public mutating func close(_ reason: EngineCloseReason) -> [Action] {
        guard !isClosed else { return [] }
        isClosed = true
        queue.removeAll()
        queuedBytes = 0
        var actions: [Action] = []
        if pollPending {
            // The client asked to close: its pending poll just ends (noop). Otherwise tell it.
            pollPending = false
            actions.append(.answerPoll([EnginePacket(reason == .clientClosed ? .noop : .close)]))
        }
        actions.append(.close(reason))
        return actions
    }
}
