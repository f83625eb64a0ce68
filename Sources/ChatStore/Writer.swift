import Foundation
import LMDB

/// The store's single writer: a dedicated thread drains the queue of pending writes and commits
/// each drained batch in ONE transaction (one fsync), each write in its own nested transaction so
/// a failing write is undone alone. Callers resume only after the commit is on disk.
final class Writer: @unchecked Sendable {
    private struct Job {
        let apply: ((Transaction) throws -> Any)?  // nil: a ping, answered by the loop itself
        let complete: (Result<Any, Error>) -> Void
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

    init(environment: Environment, maxBatch: Int) {
        self.environment = environment
        self.maxBatch = maxBatch
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "fitchat-store-writer"
        thread.start()
    }

    /// Runs `body` in the next batch and returns its result once the batch is durable.
    func submit<T>(_ body: @escaping (Transaction) throws -> T) async throws -> T {
        let value: Any = try await withCheckedThrowingContinuation { continuation in
            enqueue(Job(apply: { try body($0) }, complete: { continuation.resume(with: $0) }))
        }
        return value as! T
    }

    /// Returns once the writer thread has come round its loop: proof that it is not stuck.
    func ping() async throws {
        _ = try await withCheckedThrowingContinuation { continuation in
            enqueue(Job(apply: nil, complete: { continuation.resume(with: $0) }))
        }
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.complete(.failure(ChatStoreError.closed))
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
            condition.unlock()
            run(batch, observer: observer)
        }
    }

    private func run(_ batch: [Job], observer: (@Sendable (Int, Double) -> Void)?) {
        let writes = batch.filter { $0.apply != nil }
        for ping in batch where ping.apply == nil { ping.complete(.success(())) }
        guard !writes.isEmpty else { return }
        let start = DispatchTime.now().uptimeNanoseconds
        var results: [Result<Any, Error>] = []
        do {
            try environment.write { txn in
                // Runs again from scratch if the map had to grow: results are rebuilt each time.
                results = try writes.map { job in
                    do {
                        return .success(try txn.nested { try job.apply!($0) })
                    } catch let error as LMDBError where error == .mapFull {
                        throw error
                    } catch {
                        return .failure(error)
                    }
                }
            }
        } catch {
            results = Array(repeating: .failure(error), count: writes.count)
        }
        observer?(writes.count, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        for (job, result) in zip(writes, results) { job.complete(result) }
    }
}
