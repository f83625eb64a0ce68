import Foundation
import Histogram

/// The figures of one `fitchat-bench chat` run, as text for a person and one JSON line.
struct ChatReport {
    var clients: Int
    var senders: Int
    var seconds: Double
    var ackedPerSecond: Double
    var deliveriesPerSecond: Double
    var deliveredFraction: Double
    var latency: Histogram<UInt64>  // microseconds
    var serverCPUMicrosPerDelivery: Double?
    var errors: Int

    func milliseconds(_ percentile: Double) -> Double {
        latency.totalCount == 0 ? 0 : Double(latency.valueAtPercentile(percentile)) / 1000
    }

    var jsonLine: String {
        func number(_ value: Double, _ places: Int = 3) -> String { String(format: "%.\(places)f", value) }
        let cpu = serverCPUMicrosPerDelivery.map { number($0) } ?? "null"
        return #"{"clients":\#(clients),"senders":\#(senders),"seconds":\#(number(seconds, 1)),"#
            + #""acked_per_s":\#(number(ackedPerSecond, 1)),"deliveries_per_s":\#(number(deliveriesPerSecond, 1)),"#
            + #""delivered_fraction":\#(number(deliveredFraction, 5)),"#
            + #""latency_ms":{"p50":\#(number(milliseconds(50))),"p99":\#(number(milliseconds(99))),"#
            + #""p999":\#(number(milliseconds(99.9))),"max":\#(number(Double(latency.max) / 1000))},"#
            + #""server_cpu_us_per_delivery":\#(cpu),"errors":\#(errors)}"#
    }

    func print(json: Bool, sent: Int, expected: Int, delivered: Int, errors errorTexts: [String]) {
        Swift.print(
            String(
                format: "acked %.0f msg/s, delivered %.0f msg/s (%d of %d expected deliveries, %.3f%%)",
                ackedPerSecond, deliveriesPerSecond, delivered, expected, deliveredFraction * 100))
        Swift.print(
            String(
                format:
                    "send → receipt latency: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms over %llu deliveries",
                milliseconds(50), milliseconds(99), milliseconds(99.9), Double(latency.max) / 1000, latency.totalCount))
        if let serverCPUMicrosPerDelivery {
            Swift.print(String(format: "server CPU: %.2f µs per delivery", serverCPUMicrosPerDelivery))
        }
        if !errorTexts.isEmpty {
            let common = Dictionary(grouping: errorTexts, by: { String($0.prefix(120)) }).sorted {
                $0.value.count > $1.value.count
            }.prefix(3)
            Swift.print(
                "errors: \(errorTexts.count) (" + common.map { "\($0.value.count)× \($0.key)" }.joined(separator: "; ")
                    + ")")
        }
        Swift.print("sent \(sent) messages; the load generator shares this machine with the server")
        if json { Swift.print(jsonLine) }
    }
}
