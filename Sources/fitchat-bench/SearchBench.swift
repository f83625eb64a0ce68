import Accounts
import ArgumentParser
import ChatModel
import ChatStore
import Foundation
import Histogram
import LMDB
import NIOCore
import NIOPosix

/// `fitchat-bench search`: full-text search in a big store. Builds (or reuses) a store of
/// `--messages` messages over `--rooms` public rooms with `SearchCorpus` texts, then times the
/// store's search call for one-word (common and rare), two-word and prefix queries over every
/// room, and (with `--fitchat`) `search` round trips through the real daemon.
struct SearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Search latency in a big store with a realistic vocabulary.")

    @Option(help: "Data directory (default: a temporary one, removed).") var dataDir: String?
    @Flag(help: "Reuse the store in --data-dir when it holds the messages already.") var reuse = false
    @Option(help: "Messages in the store.") var messages: Int = 1_000_000
    @Option(help: "Public rooms the messages are spread over.") var rooms: Int = 20
    @Option(help: "Authors of the messages.") var authors: Int = 12
    @Option(help: "Timed store searches of each kind.") var queries: Int = 2000
    @Option(help: "The fitchat binary: also time search round trips through the daemon.") var fitchat: String?
    @Option(help: "Timed round trips through the daemon (paced under the reads rate limit).") var roundTrips: Int = 200
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    static let searcher = "searcher"

    func run() async throws {
        let directory =
            dataDir
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-search-\(UUID().uuidString)").path
        defer { if dataDir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let corpus = SearchCorpus()
        let built = try await buildOrReuse(directory, corpus)
        print(
            String(
                format: "store: %d messages over %d rooms, %d search postings; %@; %.1f MB on disk",
                built.messages, rooms, built.postings,
                built.seconds.map { String(format: "built in %.1f s", $0) } ?? "reused",
                Double(RoomsListBench.diskUsage(of: directory)) / 1e6))
        let indexBytes = try Self.indexBytes(of: directory)
        print(
            String(
                format: "search index: %.1f MB (compacted store with the index minus without), %.1f bytes a posting",
                Double(indexBytes) / 1e6, Double(indexBytes) / Double(max(built.postings, 1))))

        let kinds = Self.queryKinds(corpus, count: queries)
        var results: [(String, Latency)] = []
        let store = try ChatStore.open(directory: directory)
        let roomIDs = Set(try store.allRooms().filter { $0.name.hasPrefix("bench-") }.map(\.id))
        let oneRoom: Set<RoomID> = roomIDs.min().map { [$0] } ?? []
        for (kind, texts) in kinds + Self.harderKinds(kinds) {
            let latency = try Self.measure(store, texts, rooms: kind.hasSuffix("in one room") ? oneRoom : roomIDs)
            results.append((kind, latency))
            print(latency.line(kind))
        }
        store.close()

        var daemonLatency: Latency?
        if let fitchat {
            daemonLatency = try await roundTripsThroughDaemon(fitchat, directory, kinds)
            print(daemonLatency!.line("through the daemon (all kinds)"))
        }
        if json {
            var fields = [
                #""messages":\#(built.messages)"#, #""rooms":\#(rooms)"#, #""postings":\#(built.postings)"#,
                #""index_bytes":\#(indexBytes)"#,
                #""build_s":\#(built.seconds.map { String(format: "%.1f", $0) } ?? "null")"#,
            ]
            for (kind, latency) in results {
                fields.append(#""\#(kind.replacingOccurrences(of: " ", with: "_"))":\#(latency.json)"#)
            }
            if let daemonLatency { fields.append(#""round_trip":\#(daemonLatency.json)"#) }
            print("{" + fields.joined(separator: ",") + "}")
        }
    }

    // MARK: The store

    struct Built {
        var messages: Int
        var postings: Int
        var seconds: Double?
    }

    private func buildOrReuse(_ directory: String, _ corpus: SearchCorpus) async throws -> Built {
        let exists = FileManager.default.fileExists(atPath: directory + "/data.mdb")
        if exists, !reuse { throw BenchFailure("\(directory) already holds a store; pass --reuse to use it") }
        let started = DispatchTime.now().uptimeNanoseconds
        let store = try ChatStore.open(directory: directory, migrate: true)
        defer { store.close() }
        func counts() throws -> (messages: Int, postings: Int) {
            let entries = try store.status().entries
            return (
                entries.first { $0.table == "messages" }?.count ?? 0,
                entries.first { $0.table == "search_terms" }?.count ?? 0
            )
        }
        if exists, try counts().messages >= messages {
            let (messageCount, postings) = try counts()
            return Built(messages: messageCount, postings: postings, seconds: nil)
        }
        guard try counts().messages == 0 else { throw BenchFailure("\(directory) holds a smaller store: start afresh") }
        _ = try await store.createUser(
            name: Self.searcher, displayName: "Searcher", role: .member, passwordHash: nil, hostApp: true)
        var authorIDs: [UserID] = []
        for index in 1...authors {
            authorIDs.append(
                try await store.createUser(
                    name: "lifter-\(index)", displayName: "Lifter \(index)", role: .member, passwordHash: nil
                ).id)
        }
        var roomIDs: [RoomID] = []
        for index in 1...rooms {
            roomIDs.append(try await store.createRoom(name: "bench-\(index)", description: "", isPrivate: false).id)
        }
        var generator = SplitMix(seed: 161)
        var done = 0
        while done < messages {
            let batch = (done..<min(done + 20_000, messages)).map { index in
                NewMessage(
                    roomID: roomIDs[index % roomIDs.count],
                    userID: authorIDs[Int(generator.next() % UInt64(authorIDs.count))], text: corpus.message(&generator)
                )
            }
            done += try await store.appendBatch(batch).count
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let (messageCount, postings) = try counts()
        return Built(messages: messageCount, postings: postings, seconds: seconds)
    }

    /// The index's share of the file: a compacted copy, then the same with `search_terms`
    /// emptied and compacted again; the difference.
    static func indexBytes(of directory: String) throws -> Int {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fitchat-index-\(UUID().uuidString)")
        let with = scratch.appendingPathComponent("with").path
        let without = scratch.appendingPathComponent("without").path
        defer { try? FileManager.default.removeItem(at: scratch) }
        for path in [with, without] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        var options = Environment.Options()
        options.maxDatabases = 32
        do {
            let source = try Environment(path: directory, options: options)
            defer { source.close() }
            try source.copy(to: with, compact: true)
        }
        let withBytes = RoomsListBench.diskUsage(of: with)
        options.mapSize = 1 << 40
        let copy = try Environment(path: with, options: options)
        defer { copy.close() }
        let index: MultiDatabase<Bytes, Key2<UInt64, UInt64>> = try copy.multiDatabase(
            named: "search_terms", create: false)
        try copy.write { txn in try txn.clear(index) }
        try copy.copy(to: without, compact: true)
        return withBytes - RoomsListBench.diskUsage(of: without)
    }

    // MARK: Queries

    /// The four kinds, each `count` query texts (deterministic): a common word (one of the 100
    /// most frequent), a rare word (ranks 1,500–3,000), two words from one message, and the
    /// first three letters of a word of five or more.
    static func queryKinds(_ corpus: SearchCorpus, count: Int) -> [(String, [String])] {
        var generator = SplitMix(seed: 1616)
        let words = corpus.words
        func pick(_ range: Range<Int>) -> String {
            words[range.lowerBound + Int(generator.next() % UInt64(range.count))]
        }
        var common: [String] = []
        var rare: [String] = []
        var pairs: [String] = []
        var prefixes: [String] = []
        while common.count < count { common.append(pick(0..<100)) }
        while rare.count < count { rare.append(pick(1_500..<words.count)) }
        while pairs.count < count || prefixes.count < count {
            let terms = Array(Set(SearchTerms.terms(in: corpus.message(&generator))))
            if terms.count >= 2, pairs.count < count {
                let first = terms[Int(generator.next() % UInt64(terms.count))]
                let second = terms.filter { $0 != first }[Int(generator.next() % UInt64(terms.count - 1))]
                pairs.append("\(first) \(second)")
            }
            if let long = terms.first(where: { $0.count >= 5 }), prefixes.count < count {
                prefixes.append(String(long.prefix(3)))
            }
        }
        return [("one word common", common), ("one word rare", rare), ("two words", pairs), ("prefix", prefixes)]
    }

    /// Beyond the goal's four: a single letter (a prefix standing for hundreds of words), and the
    /// two-word queries in one room of the twenty (most postings walked belong to other rooms).
    static func harderKinds(_ kinds: [(String, [String])]) -> [(String, [String])] {
        let letters = "abcdefghijklmnopqrstuvwxyz".map(String.init)
        let count = kinds.first?.1.count ?? 0
        let pairs = kinds.first { $0.0 == "two words" }?.1 ?? []
        return [
            ("one letter", (0..<count).map { letters[$0 % letters.count] }),
            ("two words in one room", pairs),
        ]
    }

    struct Latency {
        var p50: Double
        var p99: Double
        var max: Double
        var samples: Int
        /// Mean results a page (of 20), and the share of pages cut short by the bound on work.
        var meanResults: Double = 0
        var shortPages: Double = 0

        func line(_ kind: String) -> String {
            String(
                format: "%@: p50 %.3f ms, p99 %.3f ms, max %.3f ms over %d; %.1f results a page, %.1f%% cut short",
                kind, p50, p99, max, samples, meanResults, shortPages * 100)
        }

        var json: String {
            String(
                format:
                    #"{"p50_ms":%.4f,"p99_ms":%.4f,"max_ms":%.4f,"samples":%d,"mean_results":%.2f,"short_pages":%.4f}"#,
                p50, p99, max, samples, meanResults, shortPages)
        }

        init(nanos: Histogram<UInt64>, samples: Int) {
            p50 = Double(nanos.valueAtPercentile(50)) / 1e6
            p99 = Double(nanos.valueAtPercentile(99)) / 1e6
            max = Double(nanos.max) / 1e6
            self.samples = samples
        }
    }

    /// Times each query once (20 results a page, every bench room), after one untimed pass.
    static func measure(_ store: ChatStore, _ texts: [String], rooms: Set<RoomID>) throws -> Latency {
        let parsed = try texts.map { try SearchQuery.parse($0).get() }
        for query in parsed.prefix(200) { _ = try store.search(query, rooms: rooms, before: nil, limit: 20) }
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000)
        var results = 0
        var short = 0
        for query in parsed {
            let start = DispatchTime.now().uptimeNanoseconds
            let page = try store.search(query, rooms: rooms, before: nil, limit: 20)
            _ = histogram.record(DispatchTime.now().uptimeNanoseconds - start)
            results += page.messages.count
            if page.nextBefore != nil, page.messages.count < 20 { short += 1 }
        }
        var latency = Latency(nanos: histogram, samples: parsed.count)
        latency.meanResults = Double(results) / Double(max(parsed.count, 1))
        latency.shortPages = Double(short) / Double(max(parsed.count, 1))
        return latency
    }

    // MARK: Through the daemon

    /// `search` acks for the searcher over one WebSocket, the kinds taking turns, one request in
    /// flight, paced at 9 a second: the reads bucket refills at 10.
    private func roundTripsThroughDaemon(_ fitchat: String, _ directory: String, _ kinds: [(String, [String])])
        async throws -> Latency
    {
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let daemon = try Daemon.start(fitchat: fitchat, dataDir: directory, secret: secret)
        defer { daemon.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let latency = try await timeSearches(group, daemon, secret, kinds)
            try await group.shutdownGracefully()
            return latency
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func timeSearches(
        _ group: EventLoopGroup, _ daemon: Daemon, _ secret: String, _ kinds: [(String, [String])]
    )
        async throws -> Latency
    {
        let client = try await AckClient.connect(
            group: group, port: daemon.port, token: HostAppTokenSigner(secret: secret).sign(user: Self.searcher))
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000)
        var results = 0
        for index in 0..<roundTrips {
            let texts = kinds[index % kinds.count].1
            let text = texts[(index / kinds.count) % texts.count]
            let reply = try await client.request(
                id: index + 1, packet: #"42\#(index + 1)["search",{"query":"\#(text)"}]"#
            )
            .get()
            guard reply.body.contains(#""ok":true"#) else {
                throw BenchFailure("search was refused: \(reply.body.prefix(300))")
            }
            _ = histogram.record(reply.nanoseconds)
            results += reply.body.components(separatedBy: #""message_type""#).count - 1
            try await Task.sleep(for: .milliseconds(110))
        }
        try? await client.close().get()
        var latency = Latency(nanos: histogram, samples: roundTrips)
        latency.meanResults = Double(results) / Double(max(roundTrips, 1))
        return latency
    }
}
