import Accounts
import ChatModel
import SocketIO

/// What fitchat keeps on each accepted socket: who it is, how they proved it, from where, and a
/// queue so one client's events are handled in the order they were sent.
final class ChatClient: Sendable {
    let user: User
    let credential: Authenticator.Credential
    let address: String
    private let jobs: AsyncStream<@Sendable () async -> Void>.Continuation
    private let stream: AsyncStream<@Sendable () async -> Void>

    init(user: User, credential: Authenticator.Credential, address: String) {
        self.user = user
        self.credential = credential
        self.address = address
        (stream, jobs) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
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
