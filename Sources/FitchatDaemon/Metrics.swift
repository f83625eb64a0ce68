import ChatGateway
import CoreMetrics
import EngineIO
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// `/metrics` in Prometheus text: swift-metrics instruments backed by swift-prometheus.
final class ChatMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let messagesStored = CoreMetrics.Counter(label: "fitchat_messages_stored_total")
    let deliveries = CoreMetrics.Counter(label: "fitchat_deliveries_total")
    let connections = CoreMetrics.Gauge(label: "fitchat_connections")
    let commitSeconds = CoreMetrics.Timer(label: "fitchat_commit_duration_seconds")
    let commitBatch = CoreMetrics.Recorder(label: "fitchat_commit_batch_size", aggregate: true)
    private let refusalCounters = NIOLockedValueBox<[String: CoreMetrics.Counter]>([:])

    /// Bootstraps the process-wide metrics system; call once (in `serve`).
    static func bootstrap() -> ChatMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["fitchat_commit_duration_seconds"] =
            [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1].map {
                Duration.milliseconds($0 * 1000)
            }
        factory.valueHistogramBuckets["fitchat_commit_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        MetricsSystem.bootstrap(factory)
        return ChatMetrics(registry: registry)
    }

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func refused(_ code: String) {
        let counter = refusalCounters.withLockedValue { counters in
            if let existing = counters[code] { return existing }
            let created = CoreMetrics.Counter(label: "fitchat_refusals_total", dimensions: [("code", code)])
            counters[code] = created
            return created
        }
        counter.increment()
    }

    /// What the chat reports as it works, counted here.
    var chatObserver: ChatServer.Observer {
        var observer = ChatServer.Observer()
        observer.stored = { [messagesStored] in messagesStored.increment() }
        observer.delivered = { [deliveries] in deliveries.increment(by: $0) }
        observer.refused = { [self] in refused($0) }
        observer.connections = { [connections] in connections.record($0) }
        return observer
    }

    func committed(batch: Int, seconds: Double) {
        commitSeconds.recordNanoseconds(Int64(seconds * 1e9))
        commitBatch.record(batch)
    }

    /// The text exposition, with the per-transport session gauges taken now.
    func exposition(engine: EngineServer) async -> String {
        let counts = await engine.sessionCountsByTransport()
        for transport in ["polling", "websocket"] {
            CoreMetrics.Gauge(label: "fitchat_sessions", dimensions: [("transport", transport)]).record(
                counts[transport] ?? 0)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
