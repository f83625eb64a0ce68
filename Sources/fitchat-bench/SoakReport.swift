import Foundation
import Histogram

/// What the daemon looked like at one moment, from /proc.
struct DaemonFootprint: Equatable, Sendable {
    /// VmRSS: anonymous memory plus the mapped pages of files (LMDB's map among them).
    var residentBytes: Int
    /// RssAnon: the heap and stacks alone; a leak shows here, a growing store does not.
    var anonymousBytes: Int
    var openFiles: Int
}

/// One interval of the soak: what the clients saw in it and the daemon's footprint at its end.
struct SoakInterval: Sendable {
    var index: Int
    /// Seconds since the load started, at the end of the interval.
    var elapsedSeconds: Double
    var footprint: DaemonFootprint
    /// Clients signed in at the end of the interval.
    var connections: Int
    var counts = SoakCounts()

    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .two)
    }
}

/// What the clients saw during one interval (the meter counts them; the report prints them).
struct SoakCounts: Sendable {
    /// Sign-ins and planned disconnects.
    var connects = 0
    var disconnects = 0
    var sends = 0
    var acks = 0
    var deliveries = 0
    /// Other requests answered (joins, leaves, typing, history).
    var otherAcks = 0
    var errors = 0
    /// send_message → ack, in microseconds.
    var latencyMicros = SoakInterval.emptyHistogram()
}

/// The soak's printed lines and its memory-slope arithmetic; no sockets, no clock.
enum SoakReport {
    static func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

    /// `mm:ss` (or `h:mm:ss` past an hour).
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0
            ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%02d:%02d", minutes, rest)
    }

    static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double {
        histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    /// One line per interval, fixed columns so a run reads as a table.
    static func line(_ interval: SoakInterval) -> String {
        let counts = interval.counts
        let latency = counts.latencyMicros
        let max = latency.totalCount == 0 ? 0 : Double(latency.max) / 1000
        return String(
            format:
                "%3d %@  rss %6.1f MiB (anon %6.1f)  fds %5d  conns %4d (+%d -%d)  sends %6d  acks %6d  "
                + "ack p50 %6.2f ms  p99 %7.2f ms  max %7.2f ms  deliveries %7d  other acks %5d  errors %d",
            interval.index, clock(interval.elapsedSeconds), mebibytes(interval.footprint.residentBytes),
            mebibytes(interval.footprint.anonymousBytes), interval.footprint.openFiles, interval.connections,
            counts.connects, counts.disconnects, counts.sends, counts.acks, milliseconds(latency, 50),
            milliseconds(latency, 99), max, counts.deliveries, counts.otherAcks, counts.errors)
    }

    /// The least-squares slope of `points` (x, y); nil with fewer than two distinct x.
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        guard points.count >= 2 else { return nil }
        let count = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / count
        let meanY = points.reduce(0) { $0 + $1.y } / count
        let spread = points.reduce(0) { $0 + ($1.x - meanX) * ($1.x - meanX) }
        guard spread > 0 else { return nil }
        return points.reduce(0) { $0 + ($1.x - meanX) * ($1.y - meanY) } / spread
    }

    /// MiB per hour of `bytes` over the intervals after the first `warmup` ones (by count: a
    /// sample taken a moment late still belongs to the interval it closes).
    static func slopePerHour(
        _ intervals: [SoakInterval], skipping warmup: Int, _ bytes: (DaemonFootprint) -> Int
    ) -> Double? {
        slope(intervals.dropFirst(warmup).map { (x: $0.elapsedSeconds / 3600, y: mebibytes(bytes($0.footprint))) })
    }

    /// "+1.23 MiB/h", or "n/a" (fewer than two intervals to fit).
    static func describe(slope: Double?) -> String {
        slope.map { String(format: "%+.2f MiB/h", $0) } ?? "n/a"
    }
}
