import Foundation
import Histogram
import NIOCore

/// What one load-generator client does once it has joined its room.
enum SendPlan: Sendable {
    case none
    /// Send, wait for the ack, send again.
    case closedLoop
    /// Send every `interval`, acks or not.
    case openLoop(interval: TimeAmount)
}

/// The measurement window, fixed before any message goes out, so every client can tell on its
/// own event loop whether an event falls inside it (no shared mutable state).
struct BenchWindow: Sendable {
    let start: UInt64  // uptime nanoseconds
    let end: UInt64
}

/// What one client saw; read on its event loop after the run.
struct ClientStats: Sendable {
    var sent = 0
    var sentInWindow = 0
    var ackedInWindow = 0
    var deliveries = 0
    var deliveriesInWindow = 0
    var errors: [String] = []
    var latencyMicros = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .two)
}

/// How a client's Engine.IO packets travel (WebSocket frames, or HTTP long-polling). Called on
/// the client's event loop only.
protocol BenchTransport: AnyObject {
    /// Sends one Engine.IO text packet.
    func send(_ packet: String)
    /// Closes the transport; it then calls `EngineIOPeer.transportClosed` once.
    func close()
}

/// What a transport carries packets for: the chat bench's `BenchClient` and the soak's
/// `SoakClient`. Every call happens on `eventLoop`.
protocol EngineIOPeer: AnyObject, Sendable {
    var eventLoop: EventLoop { get }
    /// Set by the transport's `open` before any packet flows; released when it has closed.
    var transport: BenchTransport? { get set }
    /// One Engine.IO packet (type byte first).
    func received(_ bytes: UnsafeRawBufferPointer)
    /// The transport is gone (closed by either side, or never opened); called once.
    func transportClosed()
    /// The transport failed; it is closed next.
    func transportFailed(_ error: Error)
}

/// One Socket.IO v5 client over an Engine.IO v4 transport, living on one event loop: it answers
/// pings, connects to the main namespace with a token, joins its room, then sends as planned and
/// times every `new_message` that carries a send time (`bench <uptime ns>`). The transport feeds
/// it one Engine.IO packet at a time and carries what it sends.
// @unchecked Sendable: every method runs on `eventLoop` (transport callbacks, tasks scheduled there, `execute`).
final class BenchClient: EngineIOPeer, @unchecked Sendable {
    private enum Phase { case opening, connecting, joining, joined, closed }

    let token: String
    /// nil: connect only (the idle bench without a room).
    let room: String?
    let plan: SendPlan
    let joinedPromise: EventLoopPromise<Void>
    var eventLoop: EventLoop { joinedPromise.futureResult.eventLoop }
    /// Set by the connector before any packet flows; released when the transport has closed.
    var transport: BenchTransport?
    /// Set by `begin`, once every client has joined.
    private var window = BenchWindow(start: .max, end: .max)
    private(set) var stats = ClientStats()
    private var phase = Phase.opening
    private var nextAckID = 2  // 1 is the join
    private var awaitingAck = false
    private var repeated: RepeatedTask?
    private var settled = false
    private var transportGone = false
    private let closedPromise: EventLoopPromise<Void>

    private static let joinAckID = 1
    private static let marker = Array(#""message":"bench "#.utf8)

    init(token: String, room: String?, plan: SendPlan, joined: EventLoopPromise<Void>) {
        self.token = token
        self.room = room
        self.plan = plan
        self.joinedPromise = joined
        self.closedPromise = joined.futureResult.eventLoop.makePromise()
    }

    // MARK: From the transport

    /// The transport is gone (closed by either side, or never opened).
    func transportClosed() {
        guard !transportGone else { return }
        transportGone = true
        if phase != .closed, DispatchTime.now().uptimeNanoseconds < window.end {
            stats.errors.append("disconnected during the run")
        }
        fail("connection closed before the room was joined")
        phase = .closed
        repeated?.cancel()
        transport = nil
        closedPromise.succeed(())
    }

    /// The transport failed; it is closed next.
    func transportFailed(_ error: Error) {
        stats.errors.append("\(error)")
        fail("\(error)")
        transport?.close()
    }

    /// One Engine.IO packet (type byte first).
    func received(_ bytes: UnsafeRawBufferPointer) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard let first = bytes.first else { return }
        switch first {
        case UInt8(ascii: "2"):  // Engine.IO ping
            transport?.send("3")
        case UInt8(ascii: "4"):  // Engine.IO message: a Socket.IO packet follows
            guard bytes.count > 1 else { return }
            socketIOPacket(type: bytes[1], body: UnsafeRawBufferPointer(rebasing: bytes[2...]), now: now)
        case UInt8(ascii: "0"):  // Engine.IO open: connect to the main namespace
            guard phase == .opening else { return }
            phase = .connecting
            transport?.send(#"40{"token":"\#(token)"}"#)
        case UInt8(ascii: "1"):
            transport?.close()
        default:
            break
        }
    }

    // MARK: Inbound packets

    private func socketIOPacket(type: UInt8, body: UnsafeRawBufferPointer, now: UInt64) {
        switch type {
        case UInt8(ascii: "0"):  // CONNECT accepted
            phase = .joining
            if let room {
                transport?.send(#"42\#(Self.joinAckID)["join_room",{"room":"\#(room)"}]"#)
            } else {
                joined()
            }
        case UInt8(ascii: "4"):  // CONNECT_ERROR
            let text = String(decoding: body, as: UTF8.self)
            stats.errors.append("connect refused: \(text)")
            fail("connect refused: \(text)")
            transport?.close()
        case UInt8(ascii: "2"):  // EVENT
            event(body, now: now)
        case UInt8(ascii: "3"):  // ACK
            ack(body, now: now)
        case UInt8(ascii: "1"):  // DISCONNECT
            transport?.close()
        default:
            break
        }
    }

    private func event(_ body: UnsafeRawBufferPointer, now: UInt64) {
        if body.starts(with: #"["new_message","#.utf8) {
            guard let sentAt = Self.sendTime(in: body) else { return }
            stats.deliveries += 1
            if now <= window.end { stats.deliveriesInWindow += 1 }
            if now > sentAt { _ = stats.latencyMicros.record((now - sentAt) / 1000) }
        } else if body.starts(with: #"["room_joined","#.utf8) {
            joined()
        } else if body.starts(with: #"["error","#.utf8) {
            stats.errors.append(String(decoding: body.prefix(200), as: UTF8.self))
        }
    }

    private func ack(_ body: UnsafeRawBufferPointer, now: UInt64) {
        // "<id>[…]": fitchat answers {"ok":…}, the seed peer {"id":…}.
        var id = 0
        var index = 0
        while index < body.count, let digit = Self.digit(body[index]) {
            id = id * 10 + digit
            index += 1
        }
        if id == Self.joinAckID {
            if Self.contains(body, #""ok":false"#) {
                let text = String(decoding: body.prefix(300), as: UTF8.self)
                stats.errors.append("join refused: \(text)")
                fail("join refused: \(text)")
            } else {
                joined()
            }
            return
        }
        if Self.contains(body, #""ok":false"#) {
            stats.errors.append(String(decoding: body.prefix(200), as: UTF8.self))
        } else if now <= window.end {
            stats.ackedInWindow += 1
        }
        awaitingAck = false
        if case .closedLoop = plan { sendMessage() }
    }

    // MARK: Sending

    private func joined() {
        guard phase == .joining else { return }
        phase = .joined
        settled = true
        joinedPromise.succeed(())
    }

    /// Starts the plan for `window` (called on this client's event loop).
    func begin(_ window: BenchWindow) {
        self.window = window
        guard phase == .joined else { return }
        let start = NIODeadline.uptimeNanoseconds(window.start)
        switch plan {
        case .none:
            break
        case .closedLoop:
            eventLoop.scheduleTask(deadline: start) { [self] in sendMessage() }
        case .openLoop(let interval):
            // Spread the senders' phases so the total rate is smooth.
            let offset = TimeAmount.nanoseconds(Int64.random(in: 0..<max(1, interval.nanoseconds)))
            let delay =
                TimeAmount.nanoseconds(Int64(window.start) - Int64(DispatchTime.now().uptimeNanoseconds)) + offset
            repeated = eventLoop.scheduleRepeatedTask(initialDelay: delay, delay: interval) { [self] task in
                if DispatchTime.now().uptimeNanoseconds >= window.end {
                    task.cancel()
                    return
                }
                sendMessage()
            }
        }
    }

    private func sendMessage() {
        let now = DispatchTime.now().uptimeNanoseconds
        guard phase == .joined, now < window.end, let transport else { return }
        if case .closedLoop = plan, awaitingAck { return }
        awaitingAck = true
        let id = nextAckID
        nextAckID += 1
        stats.sent += 1
        if now >= window.start { stats.sentInWindow += 1 }
        transport.send(#"42\#(id)["send_message",{"room":"\#(room ?? "")","message":"bench \#(now)"}]"#)
    }

    private func fail(_ why: String) {
        struct JoinFailed: Error, CustomStringConvertible { var description: String }
        guard !settled else { return }
        settled = true
        joinedPromise.fail(JoinFailed(description: why))
    }

    /// No join within the connect timeout (called on this client's event loop).
    func timedOut(after timeout: TimeAmount) {
        guard !settled else { return }
        fail("not joined within \(timeout.nanoseconds / 1_000_000_000) s")
        transport?.close()
    }

    /// Closes the transport (from any thread); completes once it has closed.
    func close() -> EventLoopFuture<Void> {
        eventLoop.execute { [self] in
            phase = .closed
            if let transport { transport.close() } else { transportClosed() }
        }
        return closedPromise.futureResult
    }

    // MARK: Byte scanning (no JSON parsing per delivery: the generator must outrun the server)

    static func sendTime(in body: UnsafeRawBufferPointer) -> UInt64? {
        guard let found = find(marker, in: body) else { return nil }
        var index = found + marker.count
        var value: UInt64 = 0
        var digits = 0
        while index < body.count, let digit = digit(body[index]) {
            value = value * 10 + UInt64(digit)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    static func contains(_ body: UnsafeRawBufferPointer, _ text: String) -> Bool {
        find(Array(text.utf8), in: body) != nil
    }

    /// The offset of `needle` in `haystack` (a plain scan: needles are short, frames small).
    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        let count = needle.count
        guard count > 0, haystack.count >= count else { return nil }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - count {
            if haystack[index] == first {
                var matched = 1
                while matched < count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == count { return index }
            }
            index += 1
        }
        return nil
    }

    @inline(__always) static func digit(_ byte: UInt8) -> Int? {
        byte >= 48 && byte <= 57 ? Int(byte - 48) : nil
    }
}
