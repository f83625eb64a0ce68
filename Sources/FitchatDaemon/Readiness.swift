/// A one-shot signal from one service to another ("the server is listening"): `signal` may come
/// before or after `wait`; a cancelled waiter returns false instead of hanging the shutdown.
struct Readiness: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func signal() {
        continuation.yield()
        continuation.finish()
    }

    /// True once signalled; false if the waiting task was cancelled first. One waiter only.
    func wait() async -> Bool {
        for await _ in stream { return true }
        return false
    }
}
