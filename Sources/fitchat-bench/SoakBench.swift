import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `fitchat-bench soak`: a mixed load held for minutes (residents signed in, typing, sending,
/// reading history and now and then reconnecting; a churn stream that connects, joins, sends and
/// disconnects), and one line per interval with the daemon's RSS and open files and the
/// send → ack latency. Ends with the RSS slope; exits non-zero on any failed ack, any other error,
/// or a dead daemon.
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Mixed load for minutes; daemon RSS, open files and send → ack latency every interval.")

    @Option(help: "Length of the run.") var minutes: Double = 30
    @Option(help: "Seconds between printed lines.") var intervalSeconds: Double = 60
    @Option(help: "The fitchat binary to start (default: the one next to this program).") var fitchat: String?
    @Option(help: "Drive a running server instead, http://HOST:PORT (with --secret and --pid).") var url: String?
    @Option(help: "With --url: the server's host-app token secret.") var secret: String?
    @Option(help: "With --url: the server's pid (its RSS and open files are read from /proc).") var pid: Int32?
    @Option(help: "Resident clients, signed in all along.") var users: Int = 150
    @Option(help: "Rooms, named PREFIX-1 … PREFIX-N (made when the soak starts its own daemon).") var rooms: Int = 10
    @Option(help: "Prefix of the room names.") var roomPrefix: String = "soak"
    @Option(help: "Rooms each resident joins.") var roomsPerUser: Int = 2
    @Option(help: "Mean seconds between one resident's messages.") var sendSeconds: Double = 10
    @Option(help: "Seconds between typing_start and the message.") var typingSeconds: Double = 1
    @Option(help: "Chance that a resident's turn also reads a page of history.") var historyChance: Double = 0.2
    @Option(help: "Mean minutes a resident stays connected before it reconnects (0: never).")
    var reconnectMinutes: Double = 10
    @Option(help: "Short-lived clients started per second (connect, join, send, disconnect).")
    var churnPerSecond: Double = 2
    @Option(help: "Users the churning clients sign in as, in turn.") var churnUsers: Int = 500
    @Option(help: "Chance that a churning client leaves its room before disconnecting.") var leaveChance: Double = 0.25
    @Option(help: "Fraction of clients on HTTP long-polling (the rest on WebSocket).") var pollingFraction: Double = 0.1
    @Option(help: "Seconds an ack may take before it counts as missing.") var ackTimeout: Double = 30
    @Option(
        help:
            "Seconds at the start left out of the RSS slope (default: 120 for runs of 10 minutes or more, else one interval)."
    )
    var warmupSeconds: Double?

    func validate() throws {
        guard minutes > 0, intervalSeconds > 0, intervalSeconds <= minutes * 60 else {
            throw ValidationError("need --minutes > 0 and 0 < --interval-seconds ≤ the run")
        }
        guard users >= 1, rooms >= 1, roomsPerUser >= 1, roomsPerUser <= rooms, churnUsers >= 1 else {
            throw ValidationError("need users, rooms, churn users ≥ 1 and 1 ≤ rooms-per-user ≤ rooms")
        }
        guard sendSeconds > 0, typingSeconds >= 0, churnPerSecond >= 0, ackTimeout > 0, reconnectMinutes >= 0 else {
            throw ValidationError("need --send-seconds > 0, --ack-timeout > 0, others ≥ 0")
        }
        for (name, value) in [
            ("history-chance", historyChance), ("leave-chance", leaveChance), ("polling-fraction", pollingFraction),
        ] where !(0...1).contains(value) {
            throw ValidationError("--\(name) must be from 0 to 1")
        }
        if url != nil {
            guard let url, BenchConnector.parse(url: url) != nil, secret != nil, pid != nil else {
                throw ValidationError("--url needs http://HOST:PORT, --secret and --pid")
            }
        }
    }

    /// The intervals left out of the slope as warm-up: the first minutes hold the residents'
    /// first joins and history reads, the allocator's arenas and LMDB's pages being touched for
    /// the first time.
    var warmupIntervals: Int {
        Int(((warmupSeconds ?? (minutes >= 10 ? 120 : intervalSeconds)) / intervalSeconds).rounded(.up))
    }

    func run() async throws {
        _ = raiseOpenFileLimit()
        let roomNames = (1...rooms).map { "\(roomPrefix)-\($0)" }
        let target = try startTarget(rooms: roomNames)
        defer { target.daemon?.stop() }
        let server = ServerProcess(pid: target.pid)
        guard let idle = server.footprint() else { throw BenchFailure("cannot read /proc/\(target.pid)") }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let load = SoakLoad(
            shape: SoakLoad.Shape(
                residents: users, rooms: roomNames, roomsPerResident: roomsPerUser, pollingFraction: pollingFraction,
                residentLifetime: reconnectMinutes > 0 ? .nanoseconds(Int64(reconnectMinutes * 60e9)) : nil,
                churnPerSecond: churnPerSecond, churnUsers: churnUsers),
            behaviour: SoakBehaviour(
                sendInterval: .nanoseconds(Int64(sendSeconds * 1e9)),
                typingLead: .nanoseconds(Int64(typingSeconds * 1e9)), historyChance: historyChance,
                leaveChance: leaveChance, ackTimeout: .nanoseconds(Int64(ackTimeout * 1e9)),
                connectTimeout: .seconds(30)),
            group: group, host: target.host, port: target.port, secret: target.secret)

        printLine(
            "soak: \(users) residents (\(Int((Double(users) * pollingFraction).rounded(.up))) on polling) in \(rooms) "
                + "rooms, \(roomsPerUser) each, a message every ~\(Self.number(sendSeconds)) s each"
                + (reconnectMinutes > 0 ? ", reconnecting every ~\(Self.number(reconnectMinutes)) min" : "")
                + "; churn \(Self.number(churnPerSecond))/s; \(Self.number(minutes)) min, a line every "
                + "\(Self.number(intervalSeconds)) s")
        printLine(
            "daemon pid \(target.pid) at \(target.host):\(target.port)\(target.daemon == nil ? "" : " (started here)")"
                + String(
                    format: "; idle: rss %.1f MiB (anon %.1f), fds %d; machine: %d cores, load %@",
                    SoakReport.mebibytes(idle.residentBytes), SoakReport.mebibytes(idle.anonymousBytes), idle.openFiles,
                    System.coreCount, Self.loadAverage()))

        let running = Task { await load.run(rampSeconds: min(10, intervalSeconds / 2)) }
        let (intervals, died) = await sample(load: load, server: server)
        load.stop()
        let drained = await load.waitUntilFinished(seconds: ackTimeout + 10)
        if !drained { running.cancel() }
        try? await Task.sleep(nanoseconds: 3_000_000_000)  // let the daemon notice the last disconnects
        let after = server.footprint()
        try? await group.shutdownGracefully()

        let totals = load.meter.totals()
        let (stopped, exitStatus) =
            target.daemon.map { daemon in
                daemon.stop()
                return (true, daemon.process.terminationStatus)
            } ?? (false, Int32(0))
        var problems: [String] = []
        if died { problems.append("the daemon died during the run") }
        if !drained { problems.append("clients still connected \(Int(ackTimeout + 10)) s after the stop") }
        if totals.errors > 0 { problems.append("\(totals.errors) errors") }
        if stopped, exitStatus != 0, !died {
            problems.append("the daemon exited with status \(exitStatus) on SIGTERM")
        }
        for line in summary(intervals: intervals, idle: idle, after: after, totals: totals) { printLine(line) }
        if let directory = target.temporaryDirectory {
            // The store's pages the daemon touched are part of VmRSS (mapped), not of RssAnon.
            printLine(
                String(
                    format: "data directory (store and daemon log): %.1f MiB on disk at the end",
                    SoakReport.mebibytes(RoomsListBench.diskUsage(of: directory))))
        }
        if stopped, !died { printLine("daemon stopped with SIGTERM: exit status \(exitStatus)") }
        if let log = target.logPath, died || !problems.isEmpty,
            let text = try? String(contentsOfFile: log, encoding: .utf8), !text.isEmpty
        {
            printLine("daemon log (last lines):\n" + text.split(separator: "\n").suffix(20).joined(separator: "\n"))
        }
        if let directory = target.temporaryDirectory { try? FileManager.default.removeItem(atPath: directory) }
        if !problems.isEmpty {
            printLine("FAIL: " + problems.joined(separator: "; "))
            throw ExitCode(1)
        }
        printLine("OK")
    }

    // MARK: Sampling

    /// One line per interval until the run is over or the daemon is gone.
    private func sample(load: SoakLoad, server: ServerProcess) async -> ([SoakInterval], died: Bool) {
        let start = DispatchTime.now().uptimeNanoseconds
        let count = Int((minutes * 60 / intervalSeconds).rounded(.up))
        var intervals: [SoakInterval] = []
        for index in 1...count {
            let due = start + UInt64(Double(index) * intervalSeconds * 1e9)
            while DispatchTime.now().uptimeNanoseconds < due {
                guard server.isAlive else { break }
                let left = due - DispatchTime.now().uptimeNanoseconds
                try? await Task.sleep(nanoseconds: min(left, 1_000_000_000))
            }
            let (counts, connections) = load.meter.takeInterval()
            guard let footprint = server.footprint(), server.isAlive else {
                printLine("daemon pid \(server.pid) is gone after \(SoakReport.clock(Self.seconds(since: start)))")
                return (intervals, true)
            }
            let interval = SoakInterval(
                index: index, elapsedSeconds: Self.seconds(since: start), footprint: footprint,
                connections: connections, counts: counts)
            intervals.append(interval)
            printLine(SoakReport.line(interval) + "  load " + Self.loadAverage())
        }
        return (intervals, false)
    }

    private func summary(
        intervals: [SoakInterval], idle: DaemonFootprint, after: DaemonFootprint?, totals: SoakMeter.Totals
    ) -> [String] {
        var lines: [String] = []
        let warmup = warmupIntervals
        func slopes(skipping skipped: Int) -> String {
            SoakReport.describe(slope: SoakReport.slopePerHour(intervals, skipping: skipped) { $0.residentBytes })
                + " (anon "
                + SoakReport.describe(
                    slope: SoakReport.slopePerHour(intervals, skipping: skipped) { $0.anonymousBytes })
                + ")"
        }
        let fitted = max(0, intervals.count - warmup)
        lines.append(
            "RSS slope: \(slopes(skipping: warmup)), least squares over \(fitted) of "
                + "\(intervals.count) intervals\(fitted < 2 ? " (too few for a slope)" : ""): the first \(Self.number(Double(warmup) * intervalSeconds)) s left out "
                + "as warm-up (first joins and history reads, allocator arenas and LMDB pages touched the first time)")
        lines.append("RSS slope with the warm-up: \(slopes(skipping: 0))")
        if let first = intervals.first?.footprint, let last = intervals.last?.footprint {
            lines.append(
                String(
                    format: "rss MiB: idle %.1f, first interval %.1f, last %.1f, after the clients left %@",
                    SoakReport.mebibytes(idle.residentBytes), SoakReport.mebibytes(first.residentBytes),
                    SoakReport.mebibytes(last.residentBytes),
                    after.map { String(format: "%.1f", SoakReport.mebibytes($0.residentBytes)) } ?? "n/a"))
            lines.append(
                "fds: idle \(idle.openFiles), first interval \(first.openFiles), last \(last.openFiles), "
                    + "after the clients left \(after.map { "\($0.openFiles)" } ?? "n/a")")
        }
        let latency = totals.latencyMicros
        lines.append(
            String(
                format: "sends %d, acks %d; send → ack p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
                totals.sends, totals.acks, SoakReport.milliseconds(latency, 50), SoakReport.milliseconds(latency, 99),
                SoakReport.milliseconds(latency, 99.9), latency.totalCount == 0 ? 0 : Double(latency.max) / 1000))
        let kinds = totals.failures.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key.rawValue)" }
        lines.append("errors: \(totals.errors)" + (kinds.isEmpty ? "" : " (" + kinds.joined(separator: ", ") + ")"))
        for sample in totals.samples.prefix(5) { lines.append("  e.g. \(sample)") }
        lines.append("the load generator shares this machine with the daemon (and with whatever else runs on it)")
        return lines
    }

    // MARK: The target

    struct Target {
        var host: String
        var port: Int
        var secret: String
        var pid: Int32
        var daemon: Daemon?
        var logPath: String?
        var temporaryDirectory: String?
    }

    /// The running server of --url, or a release daemon of our own on a fresh store holding the
    /// rooms (unprivileged when this runs as root, as the other benches start it).
    private func startTarget(rooms: [String]) throws -> Target {
        if let url, let secret, let pid, let (host, port) = BenchConnector.parse(url: url) {
            return Target(host: host, port: port, secret: secret, pid: pid)
        }
        let binary =
            fitchat
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("fitchat").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchFailure("no fitchat binary at \(binary); give --fitchat PATH or --url")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fitchat-soak-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.administer(binary, ["db", "migrate"], dataDir: directory)
        for room in rooms {
            try Self.administer(binary, ["room", "add", room, "--description", "Soak room"], dataDir: directory)
        }
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let log = directory + "/daemon.log"
        // Every client comes from 127.0.0.1: the per-address limits would measure themselves.
        let daemon = try Daemon.start(
            fitchat: binary, dataDir: directory, secret: secret,
            environment: [
                "FITCHAT_MAX_CONNECTIONS_PER_IP": "1000000", "FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP": "1000000",
            ], log: log)
        return Target(
            host: "127.0.0.1", port: daemon.port, secret: secret, pid: daemon.pid, daemon: daemon, logPath: log,
            temporaryDirectory: directory)
    }

    /// `fitchat ARGUMENTS --data-dir DIR`, as the admin would run it; throws with its output on failure.
    static func administer(_ binary: String, _ arguments: [String], dataDir: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--data-dir", dataDir]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "FITCHAT_DATA_DIR")
        environment["FITCHAT_CONFIG"] = "/dev/null"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchFailure("fitchat \(arguments.joined(separator: " ")) failed: \(text.suffix(400))")
        }
    }

    // MARK: Small helpers

    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2g", value)
    }

    /// The machine's 1-minute load average (the daemon shares it with this program and others).
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first).map(String.init)
            ?? "?"
    }
}
