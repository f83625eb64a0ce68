import ArgumentParser
import ChatModel
import ChatStore
import Foundation
import Histogram

/// `fitchat-bench store`: fills a store, then measures durable appends/s with concurrent
/// appenders (each awaiting its own durable ack) and history-query latency percentiles.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Fill a store, then measure durable appends and history queries.")

    @Option(help: "Data directory (created; an existing store with enough messages is reused).") var dataDir: String
    @Option(help: "Messages to fill before measuring.") var messages: Int = 1_000_000
    @Option(help: "Rooms the messages are spread over.") var rooms: Int = 20
    @Option(help: "Concurrent appenders, each waiting for its own durable ack.") var appenders: Int = 64
    @Option(help: "Seconds of durable appends.") var seconds: Double = 5
    @Option(help: "History queries of each kind.") var queries: Int = 5000
    @Flag(help: "Print a JSON summary as the last line.") var json = false

    func run() async throws {
        let store = try ChatStore.open(directory: dataDir, migrate: true)
        defer { store.close() }
        let (roomIDs, userID) = try await prepare(store)
        let filled = try await fill(store, rooms: roomIDs, user: userID)
        print("filled: \(filled) messages over \(roomIDs.count) rooms")

        let (appended, elapsed) = try await durableAppends(store, rooms: roomIDs, user: userID)
        let appendsPerSecond = Double(appended) / elapsed
        print(
            String(
                format: "durable appends: %d in %.2f s = %.0f/s with %d appenders", appended, elapsed, appendsPerSecond,
                appenders))

        let latest = try measure { try store.latestMessages(room: roomIDs.randomElement()!, limit: 50) }
        let maxID = try store.status().entries.first { $0.table == "messages" }!.count
        let before = try measure {
            let anchor = try store.message(id: MessageID.random(in: 1...UInt64(maxID)))!
            return try store.messages(room: anchor.roomID, before: anchor.id, limit: 50)
        }
        print(String(format: "latest 50:  p50 %.3f ms  p99 %.3f ms  (%d queries)", latest.p50, latest.p99, queries))
        print(String(format: "50 before:  p50 %.3f ms  p99 %.3f ms  (%d queries)", before.p50, before.p99, queries))
        if json {
            print(
                String(
                    format:
                        #"{"messages":%d,"durable_appends_per_s":%.1f,"history_latest50_ms":{"p50":%.4f,"p99":%.4f},"history_before_ms":{"p50":%.4f,"p99":%.4f}}"#,
                    messages, appendsPerSecond, latest.p50, latest.p99, before.p50, before.p99))
        }
    }

    private func prepare(_ store: ChatStore) async throws -> ([RoomID], UserID) {
        var ids: [RoomID] = []
        for index in 0..<rooms {
            let name = "bench-\(index)"
            if let room = try store.room(named: name) {
                ids.append(room.id)
                continue
            }
            ids.append(try await store.createRoom(name: name, description: "benchmark room", isPrivate: false).id)
        }
        if let user = try store.user(named: "bench") { return (ids, user.id) }
        return (
            ids, try await store.createUser(name: "bench", displayName: "Bench", role: .member, passwordHash: nil).id
        )
    }

    /// Fills in large batches (one commit each) until the store holds `messages` messages.
    private func fill(_ store: ChatStore, rooms: [RoomID], user: UserID) async throws -> Int {
        var count = try store.status().entries.first { $0.table == "messages" }!.count
        let text = String(repeating: "Squats today: 5x5 at 100 kg, felt strong. ", count: 2)
        let start = Date()
        while count < messages {
            let batch = (0..<min(20_000, messages - count)).map { index in
                NewMessage(roomID: rooms[(count + index) % rooms.count], userID: user, text: text)
            }
            count += try await store.appendBatch(batch).count
        }
        if Date().timeIntervalSince(start) > 1 {
            print(String(format: "fill took %.1f s", Date().timeIntervalSince(start)))
        }
        return count
    }

    private func durableAppends(_ store: ChatStore, rooms: [RoomID], user: UserID) async throws -> (Int, Double) {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    var done = 0
                    while Date() < deadline {
                        _ = try await store.append(
                            NewMessage(
                                roomID: rooms[(appender + done) % rooms.count], userID: user, text: "rep \(done)"))
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return (total, Date().timeIntervalSince(start))
    }

    /// Latency percentiles (ms) of `queries` calls of `query`.
    private func measure(_ query: () throws -> [Message]) throws -> (p50: Double, p99: Double) {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000)
        for _ in 0..<queries {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try query()
            _ = histogram.record(DispatchTime.now().uptimeNanoseconds - start)
            precondition(result.count <= 50)
        }
        return (Double(histogram.valueAtPercentile(50)) / 1e6, Double(histogram.valueAtPercentile(99)) / 1e6)
    }
}
