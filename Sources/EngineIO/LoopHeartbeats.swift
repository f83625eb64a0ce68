import EngineIOProtocol
import NIOCore

/// Drives the heartbeat of every session on one event loop from one repeating task, instead of a
/// timer per session: each of those held a scheduled task, a promise and a closure (about 300
/// bytes per idle connection) and was replaced at every ping. A ping or a timeout is noticed at
/// most one `tick` late; the tick is a tenth of the shorter of ping interval and timeout.
// @unchecked Sendable: `sessions` and `task` are touched only on `eventLoop` (asserted).
final class LoopHeartbeats: @unchecked Sendable {
    let eventLoop: EventLoop
    let tick: TimeAmount
    private var sessions: [ObjectIdentifier: EngineSession] = [:]
    private var task: RepeatedTask?

    init(eventLoop: EventLoop, configuration: EngineConfiguration) {
        self.eventLoop = eventLoop
        let shorter = min(configuration.pingInterval, configuration.pingTimeout).nanoseconds
        tick = .nanoseconds(min(max(shorter / 10, 10_000_000), 1_000_000_000))
    }

    func add(_ session: EngineSession) {
        eventLoop.assertInEventLoop()
        sessions[ObjectIdentifier(session)] = session
        guard task == nil else { return }
        // Runs only while the loop has sessions: an idle daemon does not wake up for nothing.
        task = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { [weak self] _ in self?.beat() }
    }

    func remove(_ session: EngineSession) {
        eventLoop.assertInEventLoop()
        sessions.removeValue(forKey: ObjectIdentifier(session))
        if sessions.isEmpty {
            task?.cancel()
            task = nil
        }
    }

    private func beat() {
        let now = NIODeadline.now()
        // Collected first: a beat may close its session, which removes it from `sessions`.
        let due = sessions.values.filter { $0.heartbeatDue(now: now) }
        for session in due { session.beat(now: now) }
    }
}
