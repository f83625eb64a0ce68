import ChatModel
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ChatStore

/// Issue 17: the map grows from a tiny start to many times its size while appenders write and
/// readers read history without pause; no write is lost, no read fails or sees a torn room, and
/// nothing waits for ever. (The default test grows 1 MiB → 64 MiB, as many doublings as the default
/// 64 MiB → 4 GiB; `FITCHAT_MAP_GROWTH_TARGET_MB` asks for more, for a one-off run to several GiB.)
/// The longest wait between two acks of one appender is printed, not asserted (timing is the
/// bench's business); ResizeLockTests proves a resize is not starved by readers.
@Suite struct MapGrowthUnderLoadTests {
    static let targetBytes =
        (Int(ProcessInfo.processInfo.environment["FITCHAT_MAP_GROWTH_TARGET_MB"] ?? "") ?? 64) << 20

    @Test func theMapGrowsUnderWritesWhileReadersRead() async throws {
        var options = ChatStore.Options()
        options.mapSize = 1 << 20
        let store = try ChatStore(directory: temporaryDirectory(), options: options)
        defer { store.close() }
        let general = try store.room(named: "general")!.id
        let writers = try await (0..<8).asyncMap { i in
            try await store.createUser(name: "writer\(i)", displayName: "Writer \(i)", role: .member, passwordHash: nil)
        }
        let stop = Atomic<Bool>(false)
        let reads = Atomic<Int>(0)
        let readFailures = Mutex<[String]>([])

        // Readers on threads of their own, reading the newest page every half millisecond, as
        // members scrolling history do: each page must be whole and in order, whatever the writer is doing.
        let readers = (0..<4).map { _ in
            let done = DispatchSemaphore(value: 0)
            Thread {
                defer { done.signal() }
                while !stop.load(ordering: .relaxed) {
                    do {
                        let page = try store.latestMessages(room: general, limit: 50)
                        let ids = page.map(\.id)
                        if ids != ids.sorted() { readFailures.withLock { $0.append("page out of order: \(ids)") } }
                        reads.add(1, ordering: .relaxed)
                    } catch {
                        readFailures.withLock { $0.append("\(error)") }
                    }
                    // Busy, not spinning: four spinning threads on a two-core machine starve the
                    // other suites running beside this one (a member pages every few ms at most).
                    usleep(500)
                }
            }.start()
            return done
        }

        let started = ContinuousClock.now
        let text = String(repeating: "squat ", count: 330)  // ~2 KB, one search term
        let (acked, longestWait) = try await withThrowingTaskGroup(of: ([MessageID], Duration).self) { group in
            for writer in writers {
                group.addTask {
                    var ids: [MessageID] = []
                    var last = ContinuousClock.now
                    var longest = Duration.zero
                    while store.environment.info().mapSize < Self.targetBytes {
                        let message = try await store.append(NewMessage(roomID: general, userID: writer.id, text: text))
                        ids.append(message.id)
                        let now = ContinuousClock.now
                        longest = max(longest, now - last)
                        last = now
                    }
                    return (ids, longest)
                }
            }
            return try await group.reduce(into: ([MessageID](), Duration.zero)) {
                $0 = ($0.0 + $1.0, max($0.1, $1.1))
            }
        }
        stop.store(true, ordering: .relaxed)
        for reader in readers { reader.wait() }
        let elapsed = ContinuousClock.now - started

        #expect(readFailures.withLock { $0 }.isEmpty, "\(readFailures.withLock { $0.prefix(5) })")
        #expect(store.environment.info().mapSize >= Self.targetBytes)
        #expect(reads.load(ordering: .relaxed) > 0)
        let stored = try store.messages(room: general, after: 0, limit: acked.count + 10).map(\.id)
        #expect(Set(stored) == Set(acked), "acknowledged but not stored: \(Set(acked).subtracting(stored).count)")
        print(
            "map 1 MiB → \(store.environment.info().mapSize >> 20) MiB, file \(store.environment.fileSize >> 20) MiB:"
                + " \(acked.count) messages appended by 8 writers and \(reads.load(ordering: .relaxed)) pages read"
                + " by 4 readers in \(elapsed); longest wait between two acks \(longestWait)")
    }
}

extension Range where Bound == Int {
    fileprivate func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for i in self { results.append(try await transform(i)) }
        return results
    }
}
