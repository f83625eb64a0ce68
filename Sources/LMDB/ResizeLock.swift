import Foundation
import Synchronization

/// The lock between an environment's transactions (shared) and its map resizes (exclusive):
/// `mdb_env_set_mapsize` may only run when this process has no transaction open.
///
/// glibc's rwlock lets new readers in while a writer waits, so under a steady stream of readers a
/// resize waited seconds (3–16 s per doubling in MapGrowthUnderLoadTests) and the store's writer,
/// which needs the resize, with it. Fresh shared holders therefore wait at a gate while a resize
/// is pending. A thread already holding the lock (a read inside a write, say) passes the gate:
/// waiting there would deadlock against the resize waiting for it.
// @unchecked Sendable: the rwlock and the gate's condition are thread-safe; `pendingResizes` is
// atomic and changed under `gate`; the per-thread depth is thread-local.
final class ResizeLock: @unchecked Sendable {
    /// Heap-allocated: a pthread lock must not move, and a stored property passed with `&` has no
    /// guaranteed stable address (Swift may pass a temporary copy).
    private let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
        return lock
    }()
    private let gate = NSCondition()
    private let pendingResizes = Atomic<Int>(0)

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    /// Whether a resize is waiting for (or holding) the lock.
    var resizePending: Bool { pendingResizes.load(ordering: .acquiring) > 0 }

    /// Runs `body` holding the lock shared (a transaction's lifetime).
    func shared<T>(_ body: () throws -> T) rethrows -> T {
        if ThreadDepth.current == 0 && pendingResizes.load(ordering: .acquiring) > 0 {
            gate.lock()
            while pendingResizes.load(ordering: .acquiring) > 0 { gate.wait() }
            gate.unlock()
        }
        pthread_rwlock_rdlock(lock)
        ThreadDepth.current += 1
        defer {
            ThreadDepth.current -= 1
            pthread_rwlock_unlock(lock)
        }
        return try body()
    }

    /// Inside `shared`: lets go of the shared hold for `body` (which may take the lock
    /// exclusively), and takes it back after.
    func releasingShared<T>(_ body: () throws -> T) rethrows -> T {
        ThreadDepth.current -= 1
        pthread_rwlock_unlock(lock)
        defer {
            pthread_rwlock_rdlock(lock)
            ThreadDepth.current += 1
        }
        return try body()
    }

    /// Runs `body` holding the lock exclusively (no transaction of this process open). New shared
    /// holders wait from now on, so this waits only for those already in.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        gate.lock()
        pendingResizes.add(1, ordering: .releasing)
        gate.unlock()
        pthread_rwlock_wrlock(lock)
        defer {
            pthread_rwlock_unlock(lock)
            gate.lock()
            pendingResizes.subtract(1, ordering: .releasing)
            gate.broadcast()
            gate.unlock()
        }
        return try body()
    }
}

/// How many `ResizeLock` shared holds the current thread has (of any environment): thread-local,
/// so a nested hold is told from a fresh one without a lookup table.
private enum ThreadDepth {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var current: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }
}
