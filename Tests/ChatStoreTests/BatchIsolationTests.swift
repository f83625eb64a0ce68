import ChatModel
import Foundation
import TestSupport
import Testing

@testable import ChatStore

/// Group commit must not couple the fates of the writes it groups: each write runs in its own
/// nested transaction, so one that fails (a taken name) is undone alone and the others of the
/// same commit succeed.
@Suite struct BatchIsolationTests {
    @Test func aFailingWriteDoesNotTakeItsBatchDown() async throws {
        let store = try makeStore()
        defer { store.close() }
        _ = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let batches = BatchRecorder()
        store.onCommit = { size, _ in batches.record(size) }
        var sharedACommit = false
        for attempt in 0..<5 where !sharedACommit {
            // Hold the writer thread, so that the next two writes queue up behind it together.
            let hold = DispatchSemaphore(value: 0)
            let (entered, enter) = AsyncStream.makeStream(of: Void.self)
            let holding = Task {
                try await store.write { _, _ in
                    enter.yield()
                    hold.wait()
                }
            }
            var entries = entered.makeAsyncIterator()
            _ = await entries.next()
            let duplicate = Task {
                try await store.createUser(name: "ann", displayName: "Again", role: .member, passwordHash: nil)
            }
            let fresh = Task {
                try await store.createUser(
                    name: "bob\(attempt)", displayName: "Bob \(attempt)", role: .member, passwordHash: nil)
            }
            // Nothing tells when a task has queued its write; the outcome below must hold in any
            // case, and the loop retries until the two writes did share a commit.
            try await Task.sleep(for: .milliseconds(100))
            hold.signal()
            try await holding.value
            await #expect(throws: RepositoryError.userExists("ann")) { _ = try await duplicate.value }
            let bob = try await fresh.value
            #expect(try store.user(named: "bob\(attempt)") == bob)
            sharedACommit = batches.largest >= 2
        }
        #expect(sharedACommit, "the failing and the good write never shared a commit")
        #expect(try store.check() == [])
    }
}
