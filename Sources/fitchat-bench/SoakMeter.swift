import Histogram
import Synchronization

/// The soak's counters, shared by every client (each on its own event loop) and read by the
/// sampler once per interval. One lock: at the soak's modest rates (tens of sends and hundreds
/// of deliveries a second) it is never contended enough to matter.
final class SoakMeter: Sendable {
    /// Kinds of failure, counted over the whole run; an ack that failed is what fails the run.
    enum Failure: String, Sendable {
        case ackRefused = "ack refused"
        case ackMissing = "ack missing"
        case connect = "connect failed"
        case disconnected = "disconnected unexpectedly"
        case protocolError = "error event"
    }

    private struct State {
        var interval = SoakCounts()
        var connections = 0
        var totalSends = 0
        var totalAcks = 0
        var totalLatency = SoakInterval.emptyHistogram()
        var failures: [Failure: Int] = [:]
        /// The first distinct failure texts, for the summary (a few, not all).
        var samples: [String] = []
    }

    private let state = Mutex(State())

    func signedIn() {
        state.withLock {
            $0.connections += 1
            $0.interval.connects += 1
        }
    }

    /// A signed-in client's connection ended; `planned`: the client closed it.
    func signedOut(planned: Bool) {
        state.withLock {
            $0.connections -= 1
            if planned { $0.interval.disconnects += 1 }
        }
    }

    func sent() {
        state.withLock {
            $0.interval.sends += 1
            $0.totalSends += 1
        }
    }

    func acked(latencyMicros: UInt64) {
        state.withLock {
            $0.interval.acks += 1
            $0.totalAcks += 1
            _ = $0.interval.latencyMicros.record(latencyMicros)
            _ = $0.totalLatency.record(latencyMicros)
        }
    }

    func otherAcked() { state.withLock { $0.interval.otherAcks += 1 } }

    func delivered() { state.withLock { $0.interval.deliveries += 1 } }

    func failed(_ kind: Failure, _ text: String) {
        state.withLock {
            $0.interval.errors += 1
            $0.failures[kind, default: 0] += 1
            let sample = "\(kind.rawValue): \(text.prefix(200))"
            if $0.samples.count < 10, !$0.samples.contains(sample) { $0.samples.append(sample) }
        }
    }

    /// The interval's counts (then zeroed) and the connections open now.
    func takeInterval() -> (counts: SoakCounts, connections: Int) {
        state.withLock { state in
            defer { state.interval = SoakCounts() }
            return (state.interval, state.connections)
        }
    }

    struct Totals {
        var sends: Int
        var acks: Int
        var latencyMicros: Histogram<UInt64>
        var failures: [Failure: Int]
        var samples: [String]
        var connections: Int
        var errors: Int { failures.values.reduce(0, +) }
    }

    func totals() -> Totals {
        state.withLock {
            Totals(
                sends: $0.totalSends, acks: $0.totalAcks, latencyMicros: $0.totalLatency, failures: $0.failures,
                samples: $0.samples, connections: $0.connections)
        }
    }
}
