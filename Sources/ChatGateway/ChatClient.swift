import ChatModel
import ChatService
import SocketIO
import SocketIOProtocol
import Synchronization

/// What fitchat keeps on each accepted socket: who it is and from where (as the service admitted
/// it), and a queue so one client's events are handled in the order they were sent.
///
/// The queue runs a task only while it has work. An idle client holds no task: a suspended task
/// keeps the stack slab of the deepest call it ever made (about 16 KB after a `join_room`), which
/// was most of what an idle connection cost.
final class ChatClient: Sendable {
    typealias Job = @Sendable () async -> Void

    let identity: ChatIdentity
    /// The client's address, for the logs.
    let address: String
    /// What its connection slot counts under (`ClientAddress.limitKey`: an IPv6 address's /64).
    let limitKey: String
    private let queue = Mutex(Queue())

    private struct Queue: ~Copyable {
        /// A plain array: an empty one holds no storage (a `CircularBuffer` reserves 16 slots,
        /// ~400 bytes per idle client), and a client rarely has more than a few jobs waiting.
        var jobs: [Job] = []
        /// A task is draining `jobs`; new jobs join it instead of starting another.
        var draining = false
        /// Jobs wait until the socket is really connected.
        var started = false
        var finished = false
        /// Rooms whose broadcasts to this client wait, with what waits (see `hold`), or whose late
        /// repeats are dropped (see `release`). Empty: no storage.
        var held: [String: Held] = [:]
        /// The socket closed (`dropHolds`): no hold begins any more.
        var closed = false
    }

    /// Broadcasts of one room waiting for the client's answer to go out first.
    struct Held {
        var deliveries: [(event: String, payload: JSONValue)] = []
        /// More arrived than `maxHeld`: the client is closed at the release (it resumes on reconnect).
        var overflowed = false
        /// Released, but sends that may have stored a message before the answer was read were still
        /// being carried out: until they are all done (`endTrailing`, the last of them `until`),
        /// this room's `new_message`s up to `through` are dropped (the answer carried them) and the
        /// rest go out as usual.
        var trailing: (through: MessageID, until: UInt64)?
    }

    /// A hold lasts one history read; a room that produces more in that time than this is not a
    /// conversation a client can follow anyway.
    static let maxHeld = 10_000

    init(identity: ChatIdentity, address: String, limitKey: String) {
        self.identity = identity
        self.address = address
        self.limitKey = limitKey
    }

    var user: User { identity.user }

    /// The service's name for this client on `socket`.
    func connection(on socket: Socket) -> ChatConnection {
        ChatConnection(id: ConnectionID(socket.id), identity: identity, address: limitKey)
    }

    /// Starts working through the queue; called once the socket is really connected (a client
    /// that goes away during its CONNECT never runs a job).
    func start() {
        let drain = queue.withLock { queue in
            queue.started = true
            return claimDrain(&queue)
        }
        if drain { startDraining() }
    }

    func enqueue(_ job: @escaping Job) {
        let drain = queue.withLock { queue in
            guard !queue.finished else { return false }
            queue.jobs.append(job)
            return claimDrain(&queue)
        }
        if drain { startDraining() }
    }

    /// No job is accepted after this; those already queued still run, in order.
    func finish() {
        queue.withLock { $0.finished = true }
    }

    // MARK: Holding a room's broadcasts (exactly-once joins, see ChatService+Joining)

    /// From now on broadcasts of `room` to this client wait for `release`. False when the room was held already (one hold per room; the caller counts holds; a room
    /// still dropping late repeats is held anew under the same count) or the socket has closed
    /// (`dropHolds` ran: a hold begun after it would never be counted down).
    func hold(_ room: String) -> Bool {
        queue.withLock { queue in
            guard !queue.closed else { return false }
            guard queue.held[room] == nil else {
                if queue.held[room]!.trailing != nil { queue.held[room] = Held() }
                return false
            }
            queue.held[room] = Held()
            return true
        }
    }

    /// Ends every hold without sending anything (the socket closed) and refuses new ones; returns
    /// how many there were.
    func dropHolds() -> Int {
        queue.withLock { queue in
            defer { queue.held = [:] }
            queue.closed = true
            return queue.held.count
        }
    }

    enum Release { case notHeld, released, trailing, overflowed }

    /// Keeps a broadcast of a held room, or drops a late repeat of what the answer carried; false
    /// when `room` is not held (send it as usual).
    func offer(_ room: String, _ event: String, _ payload: JSONValue) -> Bool {
        queue.withLock { queue in
            guard let held = queue.held[room] else { return false }
            if let trailing = held.trailing { return Self.carried(event, payload, through: trailing.through) }
            if held.deliveries.count < Self.maxHeld {
                queue.held[room]!.deliveries.append((event, payload))
            } else {
                queue.held[room]!.overflowed = true
            }
            return true
        }
    }

    /// Sends what waited, in order, but the `new_message`s with ids up to `through`, and ends the
    /// hold. Sent under the lock, so a broadcast arriving meanwhile waits for the lock and then
    /// goes out after these, never before. With `trailing` (the last client event in flight: sends
    /// still being carried out may have stored a message that is in the answer and is broadcast
    /// only now), the room then drops late `new_message`s up to `through` until `endTrailing`.
    func release(_ room: String, through: MessageID, trailing until: UInt64?, on socket: Socket) -> Release {
        queue.withLock { queue in
            guard let held = queue.held.removeValue(forKey: room) else { return .notHeld }
            guard held.trailing == nil else {
                queue.held[room] = held
                return .notHeld
            }
            guard !held.overflowed else { return .overflowed }
            for (event, payload) in held.deliveries where !Self.carried(event, payload, through: through) {
                socket.emit(event, [payload])
            }
            guard let until, through > 0 else { return .released }
            queue.held[room] = Held(trailing: (through, until))
            return .trailing
        }
    }

    /// Ends the dropping of late repeats a `release` with this `until` began; false when there is
    /// none (the room was held again since, or the socket closed: the caller counts holds).
    func endTrailing(_ room: String, until: UInt64) -> Bool {
        queue.withLock { queue in
            guard queue.held[room]?.trailing?.until == until else { return false }
            queue.held[room] = nil
            return true
        }
    }

    /// A `new_message` the answer already carried (its id is at most `through`).
    private static func carried(_ event: String, _ payload: JSONValue, through: MessageID) -> Bool {
        guard event == "new_message", case .int(let id)? = payload["id"], id >= 0 else { return false }
        return UInt64(id) <= through
    }

    private func claimDrain(_ queue: inout Queue) -> Bool {
        guard queue.started, !queue.draining, !queue.jobs.isEmpty else { return false }
        queue.draining = true
        return true
    }

    private func startDraining() {
        Task {
            while let job = nextJob() { await job() }
        }
    }

    /// The next job, or nil after marking the queue idle (atomically, so no job is stranded).
    private func nextJob() -> Job? {
        queue.withLock { queue in
            guard !queue.jobs.isEmpty else {
                queue.draining = false
                queue.jobs = []  // let go of the storage a burst grew
                return nil
            }
            return queue.jobs.removeFirst()
        }
    }
}

extension Socket {
    var client: ChatClient? { data as? ChatClient }
}
