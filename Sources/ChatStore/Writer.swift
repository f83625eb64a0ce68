import ChatModel
import Foundation
import LMDB
import Synchronization

/// The store's single writer: a dedicated thread drains the queue of pending writes and commits
/// each drained batch in ONE transaction (one fsync), each write in its own nested transaction so
/// a failing write is undone alone. Callers resume only after the commit is on disk.
// @unchecked Sendable: `queue`, `stopping`, `commitObserver` are only touched under `condition`; the rest is `let`.
final class Writer: @unchecked Sendable {
    private typealias Completion = @Sendable () -> Void
    /// One pending write: `apply` runs inside the batch transaction and returns how to resume its
    /// caller with the typed result once the batch is durable. A ping is answered by the loop itself.
    private enum Job: Sendable {
        case write(apply: @Sendable (Transaction) throws -> Completion, fail: @Sendable (Error) -> Void)
        case ping(Completion, fail: @Sendable (Error) -> Void)

        var fail: @Sendable (Error) -> Void {
            switch self {
            case .write(_, let fail), .ping(_, let fail): fail
            }
        }
    }

    private let environment: Environment
    private let maxBatch: Int
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    /// Called after each commit with the batch size and the commit's duration in seconds.
    var onCommit: (@Sendable (Int, Double) -> Void)? {
        get { condition.withLock { commitObserver } }
        set { condition.withLock { commitObserver = newValue } }
    }
    private var commitObserver: (@Sendable (Int, Double) -> Void)?
    /// Whether the last batch failed for want of disk space (cleared by the next batch that
    /// commits): read by `/healthz` from any thread, written by the writer thread only.
    let storageFull = Atomic<Bool>(false)
    /// Called on the writer thread when `storageFull` changes, so the daemon logs the condition
    /// once when it starts and once when it ends (never once per refused message).
    var onStorageChange: (@Sendable (Bool) -> Void)? {
        get { condition.withLock { storageObserver } }
        set { condition.withLock { storageObserver = newValue } }
    }
    private var storageObserver: (@Sendable (Bool) -> Void)?

    init(environment: Environment, maxBatch: Int) {
        self.environment = environment
        self.maxBatch = maxBatch
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "fitchat-store-writer"
        thread.start()
    }

    /// Runs `body` in the next batch and returns its result once the batch is durable.
    func submit<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            enqueue(
                .write(
                    apply: { txn in
                        let value = try body(txn)
                        return { continuation.resume(returning: value) }
                    },
                    fail: { continuation.resume(throwing: $0) }
                )
            )
        }
    }

    /// Returns once the writer thread has come round its loop: proof that it is not stuck.
    func ping() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            enqueue(.ping({ continuation.resume() }, fail: { continuation.resume(throwing: $0) }))
        }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.fail(ChatStoreError.closed)
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Finishes the queued writes, then stops the thread.
    func stop() {
        condition.lock()
        let wasStopping = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !wasStopping { finished.wait() }
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                finished.signal()
                return
            }
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            let observer = commitObserver
            let storageObserver = self.storageObserver
            condition.unlock()
            if let full = settled(run(batch, observer: observer)),
                storageFull.exchange(full, ordering: .relaxed) != full
            {
                storageObserver?(full)
            }
        }
    }

    /// Commits the batch's writes and resumes their callers. Returns whether the disk was full
    /// (nil when nothing was written, which says nothing about the disk).
    private func run(_ batch: [Job], observer: (@Sendable (Int, Double) -> Void)?) -> Bool? {
        var writes: [(apply: @Sendable (Transaction) throws -> Completion, fail: @Sendable (Error) -> Void)] = []
        for job in batch {
            switch job {
            case .ping(let answer, _): answer()
            case .write(let apply, let fail): writes.append((apply, fail))
            }
        }
        guard !writes.isEmpty else { return nil }
        let start = DispatchTime.now().uptimeNanoseconds
        var results: [Result<Completion, Error>] = []
        do {
            try environment.write { txn in
                // Runs again from scratch if the map had to grow: results are rebuilt each time.
                results = try writes.map { job in
                    do {
                        return .success(try txn.nested { try job.apply($0) })
                    } catch let error as LMDBError where error == .mapFull {
                        throw error
                    } catch {
                        return .failure(self.diskFull(error) ?? error)
                    }
                }
            }
        } catch {
            results = Array(repeating: .failure(self.diskFull(error) ?? error), count: writes.count)
        }
        observer?(writes.count, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        var full = false
        var wrote = false
        for (job, result) in zip(writes, results) {
            switch result {
            case .success(let resume):
                wrote = true
                resume()
            case .failure(let error):
                if case RepositoryError.storageFull = error { full = true }
                job.fail(error)
            }
        }
        // A batch whose every write was refused for its own reasons committed nothing: it says
        // nothing about the disk either way.
        return full ? true : (wrote ? false : nil)
    }

    /// `RepositoryError.storageFull` for LMDB's report of a full disk or an exhausted quota: the
    /// commit (or a spill of dirty pages) could not write, and the transaction was aborted whole.
    /// LMDB says EIO, not ENOSPC, when a write was cut short ("filesystem full?", mdb.c): an EIO
    /// with (almost) no space left on the store's filesystem is a full disk too.
    func diskFull(_ error: any Error) -> RepositoryError? {
        guard let error = error as? LMDBError else { return nil }
        switch error.code {
        case ENOSPC, EDQUOT: return .storageFull
        case EIO: return Self.freeBytes(environment.path).map { $0 < Self.nearlyFull } == true ? .storageFull : nil
        default: return nil
        }
    }

    /// Under this many free bytes a cut-short write is put down to the disk being full.
    static let nearlyFull: UInt64 = 1 << 20
    /// A full disk counts as freed only with this much space: a small write that fits in pages
    /// LMDB freed earlier says nothing, and took the condition (and its log line) back and forth
    /// once per message (found by the issue-17 attack: 1,119 error lines in 10 s).
    static let freedEnough: UInt64 = 4 << 20

    /// The condition a batch's outcome leads to: full at once on a full-disk error; back to not
    /// full only when a write succeeded and the disk has `freedEnough` space again.
    private func settled(_ outcome: Bool?) -> Bool? {
        guard outcome == false, storageFull.load(ordering: .relaxed) else { return outcome }
        return (Self.freeBytes(environment.path) ?? .max) >= Self.freedEnough ? false : nil
    }

    static func freeBytes(_ path: String) -> UInt64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }
}
