import Histogram
import Testing

@testable import FitchatBench

@Suite struct SoakReportTests {
    private static let mebibyte = 1_048_576

    private func interval(_ index: Int, seconds: Double, rssMiB: Double, anonMiB: Double = 10) -> SoakInterval {
        SoakInterval(
            index: index, elapsedSeconds: seconds,
            footprint: DaemonFootprint(
                residentBytes: Int(rssMiB * Double(Self.mebibyte)),
                anonymousBytes: Int(anonMiB * Double(Self.mebibyte)),
                openFiles: 40),
            connections: 150)
    }

    @Test func theSlopeOfAStraightLineIsItsGradient() throws {
        let points = (0..<10).map { (x: Double($0), y: 3 + 2.5 * Double($0)) }
        #expect(try #require(SoakReport.slope(points)) == 2.5)
    }

    @Test func theSlopeOfNoisyPointsIsTheLeastSquaresOne() throws {
        // x̄ = 2, ȳ = 2.2; Σ(x−x̄)(y−ȳ) = 4.4 + 0.2 + 0 + 1.8 + 3.6 = 10, Σ(x−x̄)² = 10. The line
        // through the end points would say 1.0 too; moving the middle point must not change it,
        // moving an end point must.
        let points: [(x: Double, y: Double)] = [(0, 0), (1, 2), (2, 1), (3, 4), (4, 4)]
        #expect(abs(try #require(SoakReport.slope(points)) - 1.0) < 1e-12)
        var raisedMiddle = points
        raisedMiddle[2].y += 5
        #expect(abs(try #require(SoakReport.slope(raisedMiddle)) - 1.0) < 1e-12)
        var raisedEnd = points
        raisedEnd[4].y += 5  // adds 5 · (4 − 2) / 10 = 1
        #expect(abs(try #require(SoakReport.slope(raisedEnd)) - 2.0) < 1e-12)
    }

    @Test func thereIsNoSlopeWithoutTwoDistinctPoints() {
        #expect(SoakReport.slope([]) == nil)
        #expect(SoakReport.slope([(x: 1, y: 5)]) == nil)
        #expect(SoakReport.slope([(x: 1, y: 5), (x: 1, y: 7)]) == nil)
    }

    @Test func theWarmUpIsLeftOutOfTheSlopePerHour() throws {
        // A jump in the first two minutes, then 1 MiB more every 10 minutes: 6 MiB/h.
        var intervals = [interval(1, seconds: 60, rssMiB: 20), interval(2, seconds: 120, rssMiB: 40)]
        for minute in 3...30 {
            intervals.append(interval(minute, seconds: Double(minute * 60), rssMiB: 50 + Double(minute) / 10))
        }
        let steady = try #require(SoakReport.slopePerHour(intervals, skipping: 2) { $0.residentBytes })
        #expect(abs(steady - 6) < 0.01)
        let withWarmUp = try #require(SoakReport.slopePerHour(intervals, skipping: 0) { $0.residentBytes })
        #expect(withWarmUp > 20)
        #expect(SoakReport.slopePerHour(intervals, skipping: 29) { $0.residentBytes } == nil)
        // The anonymous part stays flat: its slope is zero.
        #expect(try #require(SoakReport.slopePerHour(intervals, skipping: 2) { $0.anonymousBytes }) == 0)
    }

    @Test func aSlopeIsDescribedWithItsSignOrAsMissing() {
        #expect(SoakReport.describe(slope: 1.234) == "+1.23 MiB/h")
        #expect(SoakReport.describe(slope: -0.5) == "-0.50 MiB/h")
        #expect(SoakReport.describe(slope: nil) == "n/a")
    }

    @Test func theClockShowsMinutesAndSecondsThenHours() {
        #expect(SoakReport.clock(0) == "00:00")
        #expect(SoakReport.clock(59.6) == "01:00")
        #expect(SoakReport.clock(1800) == "30:00")
        #expect(SoakReport.clock(3725) == "1:02:05")
    }

    @Test func anIntervalIsOneLineWithEveryFigure() {
        var sample = interval(7, seconds: 420, rssMiB: 48.5, anonMiB: 30.25)
        sample.footprint.openFiles = 321
        sample.counts.connects = 130
        sample.counts.disconnects = 128
        sample.counts.sends = 1000
        sample.counts.acks = 999
        sample.counts.deliveries = 29_000
        sample.counts.otherAcks = 2500
        sample.counts.errors = 1
        // Below 256 µs the histogram (two significant digits) keeps every value exactly.
        for micros: UInt64 in [100, 100, 100, 200, 250] { _ = sample.counts.latencyMicros.record(micros) }
        let line = SoakReport.line(sample)
        #expect(
            line
                == "  7 07:00  rss   48.5 MiB (anon   30.2)  fds   321  conns  150 (+130 -128)  sends   1000  acks    999  "
                + "ack p50   0.10 ms  p99    0.25 ms  max    0.25 ms  deliveries   29000  other acks  2500  errors 1")
        #expect(!line.contains("\n"))
    }

    @Test func anIntervalWithoutAcksPrintsZeroLatency() {
        let line = SoakReport.line(interval(1, seconds: 10, rssMiB: 12))
        #expect(line.contains("ack p50   0.00 ms  p99    0.00 ms  max    0.00 ms"))
    }

    @Test func aSendsAckGivesItsMessageIdAndRoom() {
        let body = Array(
            #"12[{"ok":true,"message":{"id":4711,"room":"soak-3","user":{"name":"x"},"message":"hi"}}]"#.utf8)
        body.withUnsafeBytes { bytes in
            #expect(SoakClient.messageID(in: bytes) == 4711)
            #expect(SoakClient.room(in: bytes) == "soak-3")
        }
        Array(#"3[{"ok":true,"room":"soak-1","typing":true}]"#.utf8).withUnsafeBytes { bytes in
            #expect(SoakClient.messageID(in: bytes) == nil)
        }
    }

    @Test func aMessageTextNeedsNoEscaping() {
        for _ in 0..<200 {
            let text = SoakClient.text()
            #expect(!text.contains("\"") && !text.contains("\\"))
            #expect(text.utf8.count >= 2 && text.utf8.count < 400)
        }
    }
}
