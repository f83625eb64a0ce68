import ChatModel
import ChatService
import SocketIO
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
    let address: String
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
    }

    init(identity: ChatIdentity, address: String) {
        self.identity = identity
        self.address = address
    }

    var user: User { identity.user }

    /// The service's name for this client on `socket`.
    func connection(on socket: Socket) -> ChatConnection {
        ChatConnection(id: ConnectionID(socket.id), identity: identity, address: address)
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
