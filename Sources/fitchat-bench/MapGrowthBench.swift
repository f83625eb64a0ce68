import ArgumentParser
import ChatModel
import ChatStore
import Foundation
import Synchronization

/// `fitchat-bench map-growth`: a store opened with a tiny map grows it to several GiB under
/// durable appends while readers page through history; prints one line per doubling (how long
/// it took, the longest any appender waited for an ack, pages read) and whether anything failed.
struct MapGrowthBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map-growth", abstract: "Grow the map from a small start under writes and reads.")

    @Option(help: "Data directory (created; must not hold a store yet).") var dataDir: String
    @Option(help: "Initial map size in MiB.") var initialMapMib: Int = 64
    @Option(help: "Stop once the map is this many MiB.") var targetMib: Int = 4096
    @Option(help: "Concurrent appenders, each waiting for its own durable ack.") var appenders: Int = 64
    @Option(help: "Reader threads paging the newest history without pause.") var readers: Int = 4

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: dataDir + "/data.mdb") else {
            throw ValidationError("\(dataDir) holds a store already: give an empty directory")
        }
        var options = ChatStore.Options()
        options.mapSize = initialMapMib << 20
        let store = try ChatStore(directory: dataDir, options: options)
        defer { store.close() }
        let room = try store.room(named: "general")!.id
        let user = try await store.createUser(name: "bench", displayName: "Bench", role: .member, passwordHash: nil).id
        let target = targetMib << 20
        let text = String(repeating: "deadlift ", count: 220)  // ~2 KB, one search term
        let counters = Counters(progress: Progress(map: store.mapSize, since: .now))
        let threads = (0..<readers).map { _ in
            let done = DispatchSemaphore(value: 0)
            Thread {
                defer { done.signal() }
                while !counters.stop.load(ordering: .relaxed) {
                    if (try? store.latestMessages(room: room, limit: 50)) != nil {
                        counters.pages.add(1, ordering: .relaxed)
                    } else {
                        counters.readFailures.add(1, ordering: .relaxed)
                    }
                }
            }.start()
            return done
        }

        let start = ContinuousClock.now
        print("map \(store.mapSize >> 20) MiB at the start; \(appenders) appenders, \(readers) readers")
        let appended = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<appenders {
                group.addTask {
                    var count = 0
                    var last = ContinuousClock.now
                    while store.mapSize < target {
                        _ = try await store.append(NewMessage(roomID: room, userID: user, text: text))
                        count += 1
                        let now = ContinuousClock.now
                        let line = counters.progress.withLock {
                            $0.acked(map: store.mapSize, wait: now - last, now: now)
                        }
                        if let line { print(line + ", \(counters.pages.load(ordering: .relaxed)) pages read so far") }
                        last = now
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        counters.stop.store(true, ordering: .relaxed)
        for thread in threads { thread.wait() }
        let elapsed = ContinuousClock.now - start
        print(
            "done: map \(store.mapSize >> 20) MiB, file \(store.fileSize >> 20) MiB, \(appended) messages in \(elapsed),"
                + " longest ack wait \(counters.progress.withLock { $0.longestOverall }),"
                + " \(counters.pages.load(ordering: .relaxed)) pages read,"
                + " read failures \(counters.readFailures.load(ordering: .relaxed))")
        if counters.readFailures.load(ordering: .relaxed) > 0 { throw ExitCode(1) }
    }

    /// What the appenders and reader threads share.
    final class Counters: Sendable {
        let stop = Atomic<Bool>(false)
        let pages = Atomic<Int>(0)
        let readFailures = Atomic<Int>(0)
        let progress: Mutex<Progress>
        init(progress: Progress) { self.progress = Mutex(progress) }
    }

    /// Per doubling: when it came and the longest ack wait since the previous one.
    struct Progress {
        var map: Int
        var since: ContinuousClock.Instant
        var longest = Duration.zero
        var longestOverall = Duration.zero
        var messages = 0

        mutating func acked(map now: Int, wait: Duration, now instant: ContinuousClock.Instant) -> String? {
            messages += 1
            longest = max(longest, wait)
            longestOverall = max(longestOverall, wait)
            guard now > map else { return nil }
            defer {
                map = now
                since = instant
                longest = .zero
                messages = 0
            }
            return "map \(map >> 20) → \(now >> 20) MiB after \(messages) messages in \(instant - since);"
                + " longest ack wait \(longest)"
        }
    }
}
