import Accounts
import ArgumentParser
import ChatModel
import ChatStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// `fitchat-bench rooms-list`: the cost of unread and mention counts in a big store. Builds a
/// store of `--messages` messages over `--rooms` rooms from several authors, with one user (the
/// reader) a participant of every room whose read positions leave `--unread` messages unread in
/// all (the same number in each room), some of them mentioning the reader; then starts the real
/// daemon on it and times `get_rooms` acknowledgements (the rooms list with `unread` and
/// `mentions`) from one WebSocket client, and checks the counts the answer carries.
struct RoomsListBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rooms-list",
        abstract: "get_rooms round trips for a user in many rooms with many unread messages, in a big store.")

    @Option(help: "The fitchat binary to start.") var fitchat: String
    @Option(help: "Data directory to build the store in (must not hold one; default: a temporary one, removed).")
    var dataDir: String?
    @Option(help: "Messages in the store in all.") var messages: Int = 1_000_000
    @Option(help: "Rooms the messages are spread over; the reader is a participant of each.") var rooms: Int = 20
    @Option(help: "Unread messages of the reader in all (spread evenly over the rooms).") var unread: Int = 10_000
    @Option(help: "Authors of the messages (besides the reader).") var authors: Int = 12
    @Option(help: "Every Nth unread message mentions the reader (0: none).") var mentionEvery: Int = 50
    @Option(help: "Measured get_rooms round trips.") var samples: Int = 1000
    @Option(help: "Round trips before measuring (not counted).") var warmup: Int = 50
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func validate() throws {
        guard rooms >= 1, authors >= 1, samples >= 1, warmup >= 0, mentionEvery >= 0 else {
            throw ValidationError("need rooms, authors, samples ≥ 1")
        }
        guard unread % rooms == 0, unread / rooms <= 999 else {
            throw ValidationError("--unread must be a multiple of --rooms with at most 999 per room (the cap)")
        }
        guard messages >= unread + rooms * (authors + 1) else {
            throw ValidationError("--messages must hold the unread ones and the join messages")
        }
        guard FileManager.default.isExecutableFile(atPath: fitchat) else {
            throw ValidationError("--fitchat \(fitchat) is not an executable")
        }
    }

    func run() async throws {
        let directory: String
        let temporary = dataDir == nil
        if let dataDir {
            directory = dataDir
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard !FileManager.default.fileExists(atPath: directory + "/data.mdb") else {
                throw BenchFailure("\(directory) already holds a store; give an empty or new --data-dir")
            }
        } else {
            directory =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("fitchat-rooms-list-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        defer { if temporary { try? FileManager.default.removeItem(atPath: directory) } }

        let built = try await build(in: directory)
        print(
            String(
                format: "built: %d messages over %d rooms from %d authors in %.1f s; store %.1f MB on disk (%@)",
                built.messages, rooms, authors, built.seconds, Double(built.storeBytes) / 1e6, directory))
        print(
            "the reader: participant of \(rooms) rooms, \(unread / rooms) unread in each (\(unread) in all), "
                + "\(built.mentions) of them mentioning @\(Self.reader)")

        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let daemon = try Daemon.start(fitchat: fitchat, dataDir: directory, secret: secret)
        defer { daemon.stop() }
        print(String(format: "daemon up in %.2f s (pid %d)", daemon.startSeconds, daemon.pid))

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let measured: Measured
        do {
            measured = try await measure(group: group, daemon: daemon, secret: secret)
            try await group.shutdownGracefully()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let (first, last) = (measured.first, measured.last)
        let firstCheck = check(first.body, expectedMentions: built.mentions)
        let lastCheck = check(last.body, expectedMentions: built.mentions)
        let nanos = measured.nanos.sorted()
        let inProcess = built.readStatesNanos
        func ms(_ percentile: Double) -> Double { Self.milliseconds(nanos, percentile) }
        func inProcessMs(_ percentile: Double) -> Double { Self.milliseconds(inProcess, percentile) }
        let mean = Double(nanos.reduce(0, +)) / Double(nanos.count) / 1e6
        let cpuPerRequest = zip(measured.cpuBefore, measured.cpuAfter).map { ($1 - $0) / Double(samples) }
        print(
            String(
                format: "get_rooms round trip: p50 %.3f ms, p99 %.3f ms, max %.3f ms, mean %.3f ms over %d samples",
                ms(50), ms(99), ms(100), mean, samples))
        if let cpuPerRequest {
            print(
                String(format: "server CPU: %.0f µs per get_rooms (%d rooms in the answer)", cpuPerRequest, first.rooms)
            )
        }
        print(
            String(
                format: "in process, ChatStore.readStates for the %d rooms: p50 %.3f ms, p99 %.3f ms, max %.3f ms "
                    + "(unread %d, mentions %d)", rooms, inProcessMs(50), inProcessMs(99), inProcessMs(100),
                built.readStatesUnread, built.readStatesMentions))
        print(
            "answer: unread \(lastCheck.unread) in all (expected \(unread)), mentions \(lastCheck.mentions) "
                + "(expected \(built.mentions)), \(lastCheck.roomsSeen) rooms listed, \(first.body.utf8.count) bytes")
        var problems = firstCheck.problems + lastCheck.problems.filter { !firstCheck.problems.contains($0) }
        if built.readStatesUnread != unread || built.readStatesMentions != built.mentions {
            problems.append(
                "in process, readStates gave unread \(built.readStatesUnread) and mentions \(built.readStatesMentions)")
        }
        for problem in problems.prefix(8) { print("FAIL: \(problem)") }
        if problems.count > 8 { print("FAIL: … and \(problems.count - 8) more") }
        if json {
            func number(_ value: Double?, _ places: Int = 4) -> String {
                value.map { String(format: "%.\(places)f", $0) } ?? "null"
            }
            print(
                #"{"messages":\#(built.messages),"rooms":\#(rooms),"authors":\#(authors),"#
                    + #""expected_unread":\#(unread),"unread":\#(lastCheck.unread),"#
                    + #""expected_mentions":\#(built.mentions),"mentions":\#(lastCheck.mentions),"#
                    + #""build_s":\#(number(built.seconds, 2)),"store_bytes":\#(built.storeBytes),"#
                    + #""samples":\#(samples),"rooms_list_ms":{"p50":\#(number(ms(50))),"p99":\#(number(ms(99))),"#
                    + #""max":\#(number(ms(100))),"mean":\#(number(mean))},"#
                    + #""read_states_ms":{"p50":\#(number(inProcessMs(50))),"p99":\#(number(inProcessMs(99))),"#
                    + #""max":\#(number(inProcessMs(100)))},"#
                    + #""server_cpu_us_per_request":\#(number(cpuPerRequest, 1)),"answer_bytes":\#(first.body.utf8.count),"#
                    + #""ok":\#(problems.isEmpty)}"#)
        }
        if !problems.isEmpty {
            throw BenchFailure("the rooms list's counts are wrong (\(problems.count) problem(s), above)")
        }
    }

    /// The `percentile` of sorted `nanos`, in milliseconds (nearest rank; 100 is the maximum).
    static func milliseconds(_ nanos: [UInt64], _ percentile: Double) -> Double {
        guard !nanos.isEmpty else { return 0 }
        let rank = Int((Double(nanos.count) * percentile / 100).rounded(.up))
        return Double(nanos[max(0, min(nanos.count - 1, rank - 1))]) / 1e6
    }

    struct Measured {
        var first: AckClient.Reply
        var last: AckClient.Reply
        var nanos: [UInt64]
        var cpuBefore: Double?
        var cpuAfter: Double?
    }

    /// Signs in as the reader, then sends `get_rooms` one at a time: the first answer, `warmup`
    /// more, then `samples` timed ones; the server's CPU time around the timed ones.
    private func measure(group: EventLoopGroup, daemon: Daemon, secret: String) async throws -> Measured {
        let client = try await AckClient.connect(
            group: group, port: daemon.port, token: HostAppTokenSigner(secret: secret).sign(user: Self.reader))
        var id = 0
        func roundTrip() async throws -> AckClient.Reply {
            id += 1
            let reply = try await client.request(id: id, packet: #"42\#(id)["get_rooms"]"#).get()
            guard reply.body.contains(#""ok":true"#) else {
                throw BenchFailure("get_rooms was refused: \(reply.body.prefix(300))")
            }
            return reply
        }
        let first = try await roundTrip()
        for _ in 0..<warmup { _ = try await roundTrip() }
        let server = ServerProcess(pid: daemon.pid)
        var measured = Measured(first: first, last: first, nanos: [], cpuBefore: server.cpuMicros(), cpuAfter: nil)
        measured.nanos.reserveCapacity(samples)
        for _ in 0..<samples {
            measured.last = try await roundTrip()
            measured.nanos.append(measured.last.nanoseconds)
        }
        measured.cpuAfter = server.cpuMicros()
        try? await client.close().get()
        return measured
    }

    // MARK: The store

    static let reader = "reader"

    struct Built {
        var messages: Int
        var mentions: Int
        var seconds: Double
        var storeBytes: Int
        /// `ChatStore.readStates` for the reader's rooms, in this process (what the daemon's
        /// rooms list asks the store for): sorted durations, and the sums it gave.
        var readStatesNanos: [UInt64] = []
        var readStatesUnread = 0
        var readStatesMentions = 0
    }

    /// Everything through ChatStore's public API, in large batches (one commit each): the users,
    /// the rooms, the authors joined to every room, the read history, the reader's joins (which
    /// put the reader's read positions at the end), then the unread messages.
    private func build(in directory: String) async throws -> Built {
        let started = DispatchTime.now().uptimeNanoseconds
        let store = try ChatStore.open(directory: directory, migrate: true)
        defer { store.close() }
        let reader = try await store.createUser(
            name: Self.reader, displayName: "Reader", role: .member, passwordHash: nil, hostApp: true)
        var authorIDs: [UserID] = []
        for index in 1...authors {
            authorIDs.append(
                try await store.createUser(
                    name: "lifter-\(index)", displayName: "Lifter \(index)", role: .member, passwordHash: nil,
                    hostApp: true
                ).id)
        }
        var roomIDs: [RoomID] = []
        for index in 1...rooms {
            roomIDs.append(
                try await store.createRoom(
                    name: "bench-\(index)", description: "benchmark room \(index)", isPrivate: false
                )
                .id)
        }
        for room in roomIDs { for author in authorIDs { _ = try await store.join(room: room, user: author) } }

        var generator = SplitMix(seed: 15)
        let texts = TextPool(generator: &generator, authors: authorIDs)
        let read = messages - unread - rooms * (authors + 1)
        // Some read messages mention the reader too: they must not count.
        var appended = try await fill(
            store, count: read, rooms: roomIDs, authors: authorIDs, generator: &generator
        ) { index, generator in
            index % 997 == 0 ? texts.mentioning(reader, &generator) : texts.any(&generator)
        }
        for room in roomIDs { _ = try await store.join(room: room, user: reader.id) }
        var mentions = 0
        appended += try await fill(
            store, count: unread, rooms: roomIDs, authors: authorIDs, generator: &generator
        ) { index, generator in
            // Index over all unread messages; rooms take turns, so each room gets the same share of mentions.
            if mentionEvery > 0, (index / rooms) % mentionEvery == mentionEvery - 1 {
                mentions += 1
                return texts.mentioning(reader, &generator)
            }
            return texts.any(&generator)
        }
        let total = appended + rooms * (authors + 1)
        let counted = try store.status().entries.first { $0.table == "messages" }?.count ?? total
        guard counted == total else { throw BenchFailure("the store holds \(counted) messages, \(total) were written") }
        // Durable when appendBatch returned: the build ends here.
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var built = Built(messages: total, mentions: mentions, seconds: seconds, storeBytes: 0)
        for sample in 0..<(warmup + samples) {
            let start = DispatchTime.now().uptimeNanoseconds
            let states = try store.readStates(user: reader.id, rooms: roomIDs, cap: 1000)
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            if sample >= warmup { built.readStatesNanos.append(elapsed) }
            built.readStatesUnread = states.values.reduce(0) { $0 + $1.unread }
            built.readStatesMentions = states.values.reduce(0) { $0 + $1.mentions }
        }
        built.readStatesNanos.sort()
        store.close()
        built.storeBytes = Self.diskUsage(of: directory)
        return built
    }

    /// Appends `count` messages, the rooms taking turns, each from a random author.
    private func fill(
        _ store: ChatStore, count: Int, rooms: [RoomID], authors: [UserID], generator: inout SplitMix,
        text: (Int, inout SplitMix) -> TextPool.Text
    ) async throws -> Int {
        var done = 0
        while done < count {
            var batch: [NewMessage] = []
            batch.reserveCapacity(min(20_000, count - done))
            for index in done..<min(done + 20_000, count) {
                let author = authors[Int(generator.next() % UInt64(authors.count))]
                let chosen = text(index, &generator)
                batch.append(
                    NewMessage(
                        roomID: rooms[index % rooms.count], userID: author, text: chosen.text,
                        mentions: chosen.mentions))
            }
            done += try await store.appendBatch(batch).count
        }
        return done
    }

    /// Bytes the directory's files take on disk (LMDB's file may be sparse).
    static func diskUsage(of directory: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.reduce(0) { sum, name in
            var info = stat()
            return stat(directory + "/" + name, &info) == 0 ? sum + Int(info.st_blocks) * 512 : sum
        }
    }

    // MARK: Checking the answer

    struct Check {
        var unread = 0
        var mentions = 0
        var roomsSeen = 0
        var problems: [String] = []
    }

    /// The ack body (`<id>[{"ok":true,"rooms":[…]}]`) against what the store was built to hold:
    /// every bench room joined with `unread / rooms` unread, none capped, the sums right.
    private func check(_ body: String, expectedMentions: Int) -> Check {
        var check = Check()
        guard let open = body.firstIndex(of: "["),
            let array = try? JSONSerialization.jsonObject(with: Data(body[open...].utf8)) as? [Any],
            let answer = array.first as? [String: Any], let list = answer["rooms"] as? [[String: Any]]
        else {
            check.problems.append("the get_rooms ack is not {\"ok\":true,\"rooms\":[…]}: \(body.prefix(200))")
            return check
        }
        check.roomsSeen = list.count
        let perRoom = unread / rooms
        var benchRooms = 0
        for room in list {
            let name = room["name"] as? String ?? "?"
            let roomUnread = (room["unread"] as? NSNumber)?.intValue
            let roomMentions = (room["mentions"] as? NSNumber)?.intValue
            check.unread += roomUnread ?? 0
            check.mentions += roomMentions ?? 0
            guard name.hasPrefix("bench-") else { continue }
            benchRooms += 1
            if roomUnread == nil || roomMentions == nil {
                check.problems.append("\(name): no unread/mentions count in the summary")
            } else if roomUnread != perRoom {
                check.problems.append("\(name): unread \(roomUnread!), expected \(perRoom)")
            }
            if room["joined"] as? Bool != true { check.problems.append("\(name): joined is not true") }
            if room["unread_capped"] as? Bool != false { check.problems.append("\(name): unread_capped is not false") }
        }
        if benchRooms != rooms { check.problems.append("\(benchRooms) bench rooms listed, expected \(rooms)") }
        if check.unread != unread { check.problems.append("unread sums to \(check.unread), expected \(unread)") }
        if check.mentions != expectedMentions {
            check.problems.append("mentions sum to \(check.mentions), expected \(expectedMentions)")
        }
        return check
    }
}

// MARK: Texts

/// A deterministic random source (SplitMix64): the same store every run.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Message texts of gym-chat sizes: most a short line, some a paragraph, a few a long post
/// (about 15 to 1,200 bytes); one in 64 mentions an author. The store takes mentions as the
/// service resolved them (user ids), so each text comes with the users it names.
struct TextPool {
    struct Text {
        var text: String
        var mentions: [UserID]
    }

    private var texts: [Text] = []
    static let phrases = [
        "Squats today: 5x5 at 100 kg, felt strong.", "Anyone up for the 6 am class?", "PR on deadlift!",
        "Rest day, legs are done.", "How long do you rest between sets?", "Forgot my belt again 🙃",
        "Try pausing at the bottom, it fixed my depth.", "Protein shake or real food after training?",
        "Coach says keep the bar path straight over mid-foot.", "Is the rower free?", "nice",
        "Warm-up: 10 min bike, band pull-aparts, goblet squats.", "Who took the 20 kg plates to the back room?",
        "Bench went up 2.5 kg this week, slow and steady.", "Running 5k on Saturday, join us at the park gate.",
        "Sore from yesterday's lunges.", "Deload week next week, finally.", "👍", "same here",
        "Grip fails before my back does on heavy pulls; straps or chalk?",
    ]

    /// `authors[i]` is `lifter-(i+1)`.
    init(generator: inout SplitMix, authors: [UserID]) {
        for index in 0..<4096 {
            var text = ""
            let roll = generator.next() % 100
            let target =
                roll < 65
                ? 10 + Int(generator.next() % 50)
                : roll < 95 ? 60 + Int(generator.next() % 240) : 300 + Int(generator.next() % 900)
            while text.utf8.count < target {
                if !text.isEmpty { text += " " }
                text += Self.phrases[Int(generator.next() % UInt64(Self.phrases.count))]
            }
            var mentions: [UserID] = []
            if index % 64 == 0 {
                let author = Int(generator.next() % UInt64(authors.count))
                text = "@lifter-\(author + 1) " + text
                mentions = [authors[author]]
            }
            texts.append(Text(text: text, mentions: mentions))
        }
    }

    func any(_ generator: inout SplitMix) -> Text { texts[Int(generator.next() % UInt64(texts.count))] }

    func mentioning(_ user: User, _ generator: inout SplitMix) -> Text {
        var chosen = any(&generator)
        chosen.text =
            generator.next() % 2 == 0
            ? "@\(user.name) \(chosen.text)" : "\(chosen.text) what do you think, @\(user.name)?"
        chosen.mentions.append(user.id)
        return chosen
    }
}

// MARK: The daemon

/// `fitchat serve` on a free loopback port, unprivileged when this runs as root (the data
/// directory is handed to nobody first), with a fresh token secret; stopped with SIGTERM.
struct Daemon {
    let process: Process
    let port: Int
    let startSeconds: Double
    var pid: Int32 { process.processIdentifier }

    /// `environment` is added to the daemon's; with `log`, its output goes there and stays (else
    /// to a temporary file removed once it answers).
    static func start(
        fitchat: String, dataDir: String, secret: String, environment extra: [String: String] = [:],
        log logPath: String? = nil
    ) throws -> Daemon {
        var arguments: [String] = []
        if geteuid() == 0 {
            guard let nobody = getpwnam("nobody"), let nogroup = getgrnam("nogroup") else {
                throw BenchFailure("running as root, but there is no nobody/nogroup to run the daemon as")
            }
            for path in [dataDir]
                + ((try? FileManager.default.contentsOfDirectory(atPath: dataDir)) ?? []).map({
                    dataDir + "/" + $0
                })
            {
                chown(path, nobody.pointee.pw_uid, nogroup.pointee.gr_gid)
            }
            arguments = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"]
        }
        let port = freePort()
        arguments += [fitchat, "serve", "--listen", "127.0.0.1:\(port)", "--data-dir", dataDir]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "FITCHAT_DATA_DIR")
        environment["FITCHAT_CONFIG"] = "/dev/null"
        environment["FITCHAT_TOKEN_SECRET"] = secret
        environment["FITCHAT_LOG_LEVEL"] = "warning"
        environment["FITCHAT_LOG_TARGET"] = "stderr"
        environment.merge(extra) { $1 }
        let log =
            logPath.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-rooms-list-\(port).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        process.standardOutput = logHandle
        process.standardError = logHandle
        let started = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            if ColdStartBench.listening(port: port),
                (try? ColdStartBench.get(port: port, path: "/healthz"))?
                    .hasPrefix("HTTP/1.1 200") == true
            {
                if logPath == nil { try? FileManager.default.removeItem(at: log) }
                return Daemon(
                    process: process, port: port,
                    startSeconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            usleep(20_000)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw BenchFailure(
            "fitchat did not answer /healthz on 127.0.0.1:\(port) (exit \(process.terminationStatus)): "
                + output.suffix(600))
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// A port the kernel just handed out (bound, then closed).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

// MARK: The client

/// One Socket.IO client over a WebSocket that sends events with an ack id, one at a time, and
/// times each acknowledgement on its event loop (from the write to the ack's arrival).
// @unchecked Sendable: every method after `connect` runs on the channel's loop.
final class AckClient: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Reply: Sendable {
        var nanoseconds: UInt64
        var body: String
        var rooms: Int { body.components(separatedBy: #""name":"#).count - 1 }
    }

    private let token: String
    private let connected: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var pending: (id: Int, sentAt: UInt64, promise: EventLoopPromise<Reply>)?

    private init(token: String, connected: EventLoopPromise<Void>) {
        self.token = token
        self.connected = connected
    }

    /// Connects and signs in (the Socket.IO CONNECT accepted).
    static func connect(group: EventLoopGroup, port: Int, token: String) async throws -> AckClient {
        let loop = group.next()
        let client = AckClient(token: token, connected: loop.makePromise())
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: WebSocketTransport.randomKey(), maxFrameSize: 1 << 24, automaticErrorHandling: true
                ) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let aggregator = NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: 1 << 24
                        )
                        try channel.pipeline.syncOperations.addHandlers([aggregator, client])
                    }
                }
                let sender = UpgradeRequestSender(
                    host: "127.0.0.1:\(port)", path: "/socket.io/?EIO=4&transport=websocket")
                let configuration: NIOHTTPClientUpgradeConfiguration = (
                    upgraders: [upgrader],
                    completionHandler: { context in context.pipeline.removeHandler(sender, promise: nil) }
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes, withClientUpgrade: configuration)
                    try channel.pipeline.syncOperations.addHandler(sender)
                }
            }
        let timeout = loop.scheduleTask(in: .seconds(30)) {
            client.connected.fail(BenchFailure("not signed in within 30 s"))
        }
        defer { timeout.cancel() }
        _ = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        try await client.connected.futureResult.get()
        return client
    }

    /// Sends one Engine.IO packet carrying an event with ack `id`; completes with the ack.
    func request(id: Int, packet: String) -> EventLoopFuture<Reply> {
        connected.futureResult.eventLoop.flatSubmit { [self] in
            let promise = connected.futureResult.eventLoop.makePromise(of: Reply.self)
            guard let context else {
                promise.fail(BenchFailure("the connection is closed"))
                return promise.futureResult
            }
            pending = (id, DispatchTime.now().uptimeNanoseconds, promise)
            send(packet, context: context)
            return promise.futureResult
        }
    }

    func close() -> EventLoopFuture<Void> {
        let loop = connected.futureResult.eventLoop
        return loop.flatSubmit { [self] in
            guard let context else { return loop.makeSucceededVoidFuture() }
            return context.close()
        }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        connected.fail(BenchFailure("connection closed before signing in"))
        pending?.promise.fail(BenchFailure("connection closed while waiting for ack \(pending!.id)"))
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        connected.fail(error)
        pending?.promise.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = DispatchTime.now().uptimeNanoseconds
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            packet(Substring(text), now: now, context: context)
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)),
                promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func packet(_ text: Substring, now: UInt64, context: ChannelHandlerContext) {
        switch text.first {
        case "0": send(#"40{"token":"\#(token)"}"#, context: context)  // Engine.IO open: CONNECT
        case "2": send("3", context: context)  // ping → pong
        case "4":
            let body = text.dropFirst(2)
            switch text.dropFirst().first {
            case "0": connected.succeed(())
            case "4": connected.fail(BenchFailure("CONNECT refused: \(body.prefix(200))"))
            case "3":
                let digits = body.prefix { $0.isASCII && $0.isNumber }
                guard let pending, Int(digits) == pending.id else { return }
                self.pending = nil
                pending.promise.succeed(Reply(nanoseconds: now - pending.sentAt, body: String(body)))
            default: break  // events (status, rooms_list, presence): not timed
            }
        default: break
        }
    }

    private func send(_ packet: String, context: ChannelHandlerContext) {
        let frame = WebSocketFrame(
            fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: packet))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}
