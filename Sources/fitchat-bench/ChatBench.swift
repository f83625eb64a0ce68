import Accounts
import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// `fitchat-bench chat`: a Socket.IO load generator. N clients join their rooms; K of them send
/// (closed loop, or open loop at a fixed total rate); every client times each delivery from the
/// send time the message carries. Works against fitchat and against the seed peer.
struct ChatBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Socket.IO load: deliveries per second, send → receipt latency, server CPU per delivery.")

    @OptionGroup var target: BenchTarget
    @Option(help: "Clients in all.") var clients: Int = 100
    @Option(help: "How many of them send.") var senders: Int = 10
    @Option(help: "Length of the measured window.") var seconds: Double = 10
    @Option(help: "The room, or the rooms' name prefix with --rooms.") var room: String = "general"
    @Option(help: "Spread the clients over M rooms named ROOM-1 … ROOM-M (they must exist).") var rooms: Int = 1
    @Option(help: "Open loop: messages per second in all (default: closed loop, each sender waits for its ack).")
    var rate: Double?
    @Option(help: "The server's pid, to report its CPU per delivery (from /proc).") var serverPid: Int32?
    @Option(help: "Seconds to wait after the window for late deliveries.") var drain: Double = 3
    @Option(help: "Prefix of the generated user names.") var userPrefix: String = "bench"
    @Option(help: "How the clients speak Engine.IO: websocket, or HTTP long-polling only (polling).")
    var transport: BenchTransportKind = .websocket
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard clients > 0, senders >= 0, senders <= clients else {
            throw ValidationError("need 0 ≤ senders ≤ clients and clients > 0")
        }
        guard rooms >= 1, rooms <= clients else { throw ValidationError("need 1 ≤ rooms ≤ clients") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
    }

    func run() async throws {
        _ = raiseOpenFileLimit()
        let (host, port) = (target.host, target.port)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let roomNames = rooms == 1 ? [room] : (1...rooms).map { "\(room)-\($0)" }
        let senderCount = senders
        let plan: SendPlan =
            rate.map { .openLoop(interval: .nanoseconds(Int64(Double(senderCount) / $0 * 1e9))) } ?? .closedLoop

        let connector = BenchConnector(group: group, host: host, port: port, transport: transport)
        let secret = target.secret
        let prefix = userPrefix
        let senders = self.senders
        let setupStarted = DispatchTime.now().uptimeNanoseconds
        let (joined, failures) = await connector.connectAll(count: clients) { index, loop in
            BenchClient(
                token: HostAppTokenSigner(secret: secret).sign(user: "\(prefix)-\(index)"),
                room: roomNames[index % roomNames.count], plan: index < senders ? plan : .none,
                joined: loop.makePromise())
        }
        let setupSeconds = Double(DispatchTime.now().uptimeNanoseconds - setupStarted) / 1e9
        if !failures.isEmpty {
            let sample = Dictionary(grouping: failures, by: { $0 }).sorted { $0.value.count > $1.value.count }.prefix(3)
                .map { "\($0.value.count)× \($0.key)" }.joined(separator: "; ")
            FileHandle.standardError.write(
                Data("fitchat-bench: \(failures.count) of \(clients) clients did not join: \(sample)\n".utf8))
        }
        guard !joined.isEmpty else {
            throw BenchFailure("no client joined; is the server at \(target.url), with that secret and those rooms?")
        }
        print(
            String(
                format: "%d clients joined %d room%@ in %.1f s over %@", joined.count, roomNames.count,
                roomNames.count == 1 ? "" : "s", setupSeconds, transport.rawValue))

        // One window for every client, decided now that all have joined.
        let start = DispatchTime.now().uptimeNanoseconds + 300_000_000
        let window = BenchWindow(start: start, end: start + UInt64(seconds * 1e9))
        for client in joined { client.eventLoop.execute { client.begin(window) } }
        let server = serverPid.map(ServerProcess.init)
        let now = DispatchTime.now().uptimeNanoseconds
        if start > now { try await Task.sleep(nanoseconds: start - now) }
        let cpuBefore = server?.cpuMicros()
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        let cpuAfter = server?.cpuMicros()
        try await Task.sleep(nanoseconds: UInt64(drain * 1e9))

        var total = ClientStats()
        var membersOfRoom: [String: Int] = [:]
        var sentToRoom: [String: Int] = [:]
        for client in joined {
            let stats = try await client.eventLoop.submit { client.stats }.get()
            membersOfRoom[client.room ?? "", default: 0] += 1
            sentToRoom[client.room ?? "", default: 0] += stats.sent
            total.sent += stats.sent
            total.sentInWindow += stats.sentInWindow
            total.ackedInWindow += stats.ackedInWindow
            total.deliveries += stats.deliveries
            total.deliveriesInWindow += stats.deliveriesInWindow
            total.errors += stats.errors
            total.latencyMicros.add(stats.latencyMicros)
        }
        await BenchConnector.closeAll(joined)
        try await group.shutdownGracefully()

        let expected = sentToRoom.reduce(0) { $0 + $1.value * (membersOfRoom[$1.key] ?? 0) }
        let report = ChatReport(
            clients: joined.count, senders: min(senders, joined.count), seconds: seconds,
            ackedPerSecond: Double(total.ackedInWindow) / seconds,
            deliveriesPerSecond: Double(total.deliveriesInWindow) / seconds,
            deliveredFraction: expected == 0 ? 0 : Double(total.deliveries) / Double(expected),
            latency: total.latencyMicros,
            serverCPUMicrosPerDelivery: zip(cpuBefore, cpuAfter).map {
                total.deliveriesInWindow == 0 ? 0 : ($1 - $0) / Double(total.deliveriesInWindow)
            },
            errors: total.errors.count + failures.count)
        report.print(
            json: json, sent: total.sent, expected: expected, delivered: total.deliveries,
            errors: total.errors + failures)
    }
}

func zip(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}

/// A run that could not measure anything: said as one line, without the usage text.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
