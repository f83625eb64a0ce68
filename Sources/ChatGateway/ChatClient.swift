import ChatModel
import ChatService
import SocketIO

/// What fitchat keeps on each accepted socket: who it is and from where (as the service admitted
/// it), and a queue so one client's events are handled in the order they were sent.
final class ChatClient: Sendable {
    let identity: ChatIdentity
    let address: String
    private let jobs: AsyncStream<@Sendable () async -> Void>.Continuation
    private let stream: AsyncStream<@Sendable () async -> Void>

    init(identity: ChatIdentity, address: String) {
        self.identity = identity
        self.address = address
        (stream, jobs) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
    }

    var user: User { identity.user }

    /// The service's name for this client on `socket`.
    func connection(on socket: Socket) -> ChatConnection {
        ChatConnection(id: ConnectionID(socket.id), identity: identity, address: address)
    }

    /// Starts working through the queue; called once the socket is really connected (a client
    /// that goes away during its CONNECT never starts a task).
    func start() {
        let stream = self.stream
        Task {
            for await job in stream { await job() }
        }
    }

    func enqueue(_ job: @escaping @Sendable () async -> Void) {
        jobs.yield(job)
    }

    func finish() { jobs.finish() }
}

extension Socket {
    var client: ChatClient? { data as? ChatClient }
}
