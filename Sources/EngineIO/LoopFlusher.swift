import NIOCore

/// Flushes, once per turn of an event loop, every WebSocket written to during that turn: a burst
/// of broadcasts (a group commit's worth of messages) reaches each client in one `write(2)`
/// instead of one per message. Those syscalls, and the loopback delivery the kernel charges to
/// them, were most of the server's CPU per delivery.
// @unchecked Sendable: `pending` and `scheduled` are touched only on `eventLoop` (asserted).
final class LoopFlusher: @unchecked Sendable {
    let eventLoop: EventLoop
    private var pending: [EngineWebSocketHandler] = []
    private var flushing: [EngineWebSocketHandler] = []
    private var scheduled = false

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// `handler` has written without flushing; it is flushed after the tasks already queued on
    /// this loop (the rest of the burst) have run.
    func needsFlush(_ handler: EngineWebSocketHandler) {
        eventLoop.assertInEventLoop()
        pending.append(handler)
        guard !scheduled else { return }
        scheduled = true
        eventLoop.execute { self.flushAll() }
    }

    private func flushAll() {
        scheduled = false
        // Two arrays swapped, so a steady stream of bursts allocates nothing.
        swap(&pending, &flushing)
        for handler in flushing { handler.flushPending() }
        flushing.removeAll(keepingCapacity: true)
    }
}
