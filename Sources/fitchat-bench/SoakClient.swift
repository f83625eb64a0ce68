import Foundation
import NIOCore

/// How the soak's clients behave; the same for every client of a run.
struct SoakBehaviour: Sendable {
    /// Mean time between a resident's messages (each wait drawn from 0.5× to 1.5× of it).
    var sendInterval: TimeAmount
    /// typing_start goes out this long before the message.
    var typingLead: TimeAmount
    /// Chance that a resident's turn also reads a page of history.
    var historyChance: Double
    /// Chance that a churning client leaves its room before it disconnects.
    var leaveChance: Double
    var ackTimeout: TimeAmount
    var connectTimeout: TimeAmount
}

/// One soak client on one event loop, over either transport. A resident joins its rooms (with
/// `since` when it has been connected before), reads history, then takes turns: typing_start,
/// a message, typing_stop, sometimes a page of history; when its lifetime is over it waits for
/// its acks and disconnects. A churning client joins one room, reads history, types, sends,
/// sometimes leaves, and disconnects once everything is acknowledged. Every request carries an
/// ack id; an ack that says `"ok":false`, or that does not come within the ack timeout, is a failure.
// @unchecked Sendable: every method runs on `eventLoop` (transport callbacks, scheduled tasks,
// `execute`); `stop` and `finished` hop there.
final class SoakClient: EngineIOPeer, @unchecked Sendable {
    enum Role: Equatable {
        case resident(lifetime: TimeAmount?)
        case churn
    }

    private enum Request: String {
        case join = "join_room"
        case leave = "leave_room"
        case send = "send_message"
        case history = "get_history"
        case typingStart = "typing_start"
        case typingStop = "typing_stop"
    }

    let eventLoop: EventLoop
    var transport: BenchTransport?
    private let token: String
    private let role: Role
    private let rooms: [String]
    private let behaviour: SoakBehaviour
    private let meter: SoakMeter
    /// The last message id this user's own sends got in each room: a reconnect rejoins from there.
    private var lastIDs: [String: Int]
    private var pending: [Int: (request: Request, sentAt: UInt64, timer: Scheduled<Void>)] = [:]
    private var nextAckID = 1
    private var signedIn = false
    /// No new requests; disconnect once nothing is pending.
    private var finishing = false
    private var closingOnPurpose = false
    private var done = false
    private var lastTransportError: String?
    private var turn: Scheduled<Void>?
    /// A turn's message, due once the typing lead is over.
    private var typing: Scheduled<Void>?
    private var timers: [Scheduled<Void>] = []
    private let finishedPromise: EventLoopPromise<[String: Int]>

    /// Completes, with the rooms' last ids, when the client has disconnected (or never connected).
    var finished: EventLoopFuture<[String: Int]> { finishedPromise.futureResult }

    init(
        token: String, role: Role, rooms: [String], lastIDs: [String: Int] = [:], behaviour: SoakBehaviour,
        meter: SoakMeter, eventLoop: EventLoop
    ) {
        self.token = token
        self.role = role
        self.rooms = rooms
        self.lastIDs = lastIDs
        self.behaviour = behaviour
        self.meter = meter
        self.eventLoop = eventLoop
        finishedPromise = eventLoop.makePromise()
        eventLoop.execute { [self] in
            timers.append(
                eventLoop.scheduleTask(in: behaviour.connectTimeout) { [self] in
                    guard !signedIn, !done else { return }
                    lastTransportError =
                        "not signed in within \(behaviour.connectTimeout.nanoseconds / 1_000_000_000) s"
                    close()
                })
        }
    }

    /// Stops taking turns and disconnects once every ack is in (from any thread).
    func stop() {
        eventLoop.execute { [self] in finish() }
    }

    /// The transport could not be opened at all.
    func openFailed(_ error: Error) {
        eventLoop.execute { [self] in
            lastTransportError = "\(error)"
            transportClosed()
        }
    }

    // MARK: EngineIOPeer

    func transportFailed(_ error: Error) {
        if lastTransportError == nil { lastTransportError = "\(error)" }
        transport?.close()
    }

    func transportClosed() {
        guard !done else { return }
        done = true
        transport = nil
        turn?.cancel()
        typing?.cancel()
        for timer in timers { timer.cancel() }
        if signedIn {
            meter.signedOut(planned: closingOnPurpose)
            if !closingOnPurpose {
                meter.failed(.disconnected, lastTransportError ?? "closed by the server")
            }
        } else if !closingOnPurpose || lastTransportError != nil {
            meter.failed(.connect, lastTransportError ?? "closed before signing in")
        }
        for (id, entry) in pending {
            entry.timer.cancel()
            meter.failed(.ackMissing, "\(entry.request.rawValue) #\(id): the connection closed first")
        }
        pending = [:]
        finishedPromise.succeed(lastIDs)
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        // Stopped before the transport was even set: nothing more to say.
        guard !done else { return }
        guard let first = bytes.first else { return }
        switch first {
        case UInt8(ascii: "2"): transport?.send("3")  // ping → pong
        case UInt8(ascii: "0"): transport?.send(#"40{"token":"\#(token)"}"#)  // open → CONNECT
        case UInt8(ascii: "1"): transport?.close()
        case UInt8(ascii: "4") where bytes.count > 1:
            let body = UnsafeRawBufferPointer(rebasing: bytes[2...])
            switch bytes[1] {
            case UInt8(ascii: "0"): connected()
            case UInt8(ascii: "2"): event(body)
            case UInt8(ascii: "3"): ack(body)
            case UInt8(ascii: "4"):
                lastTransportError = "CONNECT refused: " + String(decoding: body.prefix(200), as: UTF8.self)
                close()
            case UInt8(ascii: "1"): transport?.close()
            default: break
            }
        default: break
        }
    }

    // MARK: The script

    private func connected() {
        guard !signedIn else { return }
        signedIn = true
        meter.signedIn()
        for room in rooms {
            if let since = lastIDs[room] {
                request(.join, #"{"room":"\#(room)","since":\#(since)}"#)
            } else {
                request(.join, #"{"room":"\#(room)"}"#)
            }
        }
        if let room = rooms.first { request(.history, #"{"room":"\#(room)","limit":50}"#) }
        switch role {
        case .resident(let lifetime):
            if let lifetime { timers.append(eventLoop.scheduleTask(in: lifetime) { [self] in finish() }) }
            scheduleTurn(after: .nanoseconds(Int64.random(in: 0...behaviour.sendInterval.nanoseconds)))
        case .churn:
            takeTurn(history: false) { [self] in
                if Double.random(in: 0..<1) < behaviour.leaveChance, let room = rooms.first {
                    request(.leave, #"{"room":"\#(room)"}"#)
                }
                finish()
            }
        }
    }

    private func scheduleTurn(after delay: TimeAmount) {
        turn = eventLoop.scheduleTask(in: delay) { [self] in
            takeTurn(history: Double.random(in: 0..<1) < behaviour.historyChance) {}
            let interval = Double(behaviour.sendInterval.nanoseconds)
            scheduleTurn(after: .nanoseconds(Int64(interval * Double.random(in: 0.5...1.5))))
        }
    }

    /// typing_start now; after the typing lead, the message, typing_stop and maybe history; then `then`.
    private func takeTurn(history: Bool, then: @escaping @Sendable () -> Void) {
        guard !finishing, let room = rooms.randomElement() else { return }
        request(.typingStart, #"{"room":"\#(room)"}"#)
        typing = eventLoop.scheduleTask(in: behaviour.typingLead) { [self] in
            guard !finishing else { return }
            request(.send, #"{"room":"\#(room)","message":"\#(Self.text())"}"#)
            request(.typingStop, #"{"room":"\#(room)"}"#)
            if history { request(.history, #"{"room":"\#(room)","limit":50}"#) }
            then()
        }
    }

    private func finish() {
        finishing = true
        turn?.cancel()
        if pending.isEmpty { close() }
    }

    private func close() {
        closingOnPurpose = true
        if let transport { transport.close() } else { transportClosed() }
    }

    // MARK: Requests and answers

    private func request(_ kind: Request, _ payload: String) {
        guard let transport, !done else { return }
        let id = nextAckID
        nextAckID += 1
        let timer = eventLoop.scheduleTask(in: behaviour.ackTimeout) { [self] in
            guard pending.removeValue(forKey: id) != nil else { return }
            meter.failed(
                .ackMissing,
                "\(kind.rawValue) #\(id): no ack within \(behaviour.ackTimeout.nanoseconds / 1_000_000_000) s")
            if finishing, pending.isEmpty { close() }
        }
        pending[id] = (kind, DispatchTime.now().uptimeNanoseconds, timer)
        if kind == .send { meter.sent() }
        transport.send(#"42\#(id)["\#(kind.rawValue)",\#(payload)]"#)
    }

    private func ack(_ body: UnsafeRawBufferPointer) {
        let now = DispatchTime.now().uptimeNanoseconds
        var id = 0
        var index = 0
        while index < body.count, let digit = BenchClient.digit(body[index]) {
            id = id * 10 + digit
            index += 1
        }
        guard let entry = pending.removeValue(forKey: id) else { return }
        entry.timer.cancel()
        if BenchClient.contains(body, #""ok":false"#) {
            meter.failed(.ackRefused, "\(entry.request.rawValue): " + String(decoding: body.prefix(200), as: UTF8.self))
        } else if entry.request == .send {
            meter.acked(latencyMicros: (now &- entry.sentAt) / 1000)
            if let messageID = Self.messageID(in: body), let room = Self.room(in: body) { lastIDs[room] = messageID }
        } else {
            meter.otherAcked()
        }
        if finishing, pending.isEmpty { close() }
    }

    private func event(_ body: UnsafeRawBufferPointer) {
        if body.starts(with: #"["new_message","#.utf8) {
            meter.delivered()
        } else if body.starts(with: #"["error","#.utf8) {
            meter.failed(.protocolError, String(decoding: body.prefix(200), as: UTF8.self))
        }
    }

    // MARK: Byte scanning of a send's ack: {"ok":true,"message":{"id":N,"room":"R",…}}

    private static let idMarker = Array(#""message":{"id":"#.utf8)
    private static let roomMarker = Array(#","room":""#.utf8)

    static func messageID(in body: UnsafeRawBufferPointer) -> Int? {
        guard let found = BenchClient.find(idMarker, in: body) else { return nil }
        var index = found + idMarker.count
        var value = 0
        var digits = 0
        while index < body.count, let digit = BenchClient.digit(body[index]) {
            value = value * 10 + digit
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    static func room(in body: UnsafeRawBufferPointer) -> String? {
        guard let found = BenchClient.find(roomMarker, in: body) else { return nil }
        let start = found + roomMarker.count
        guard let end = body[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: body[start..<end], as: UTF8.self)
    }

    /// A gym-chat line of 10 to about 300 bytes (plain text: no quotes or backslashes to escape).
    static func text() -> String {
        var text = TextPool.phrases.randomElement()!
        while Int.random(in: 0..<3) == 0, text.utf8.count < 300 { text += " " + TextPool.phrases.randomElement()! }
        return text
    }
}
