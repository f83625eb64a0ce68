import Foundation
import Synchronization
import Testing

@testable import LMDB

/// A map resize must not be starved by readers: once it waits, fresh readers queue behind it,
/// while a thread already holding the lock (a read inside a write) still gets in.
@Suite struct ResizeLockTests {
    @Test func aFreshReaderWaitsBehindAPendingResize() {
        let lock = ResizeLock()
        let order = Mutex<[String]>([])
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()

        Thread {  // a reader already in
            lock.shared {
                holding.signal()
                release.wait()
                order.withLock { $0.append("old reader out") }
            }
        }.start()
        holding.wait()

        done.enter()
        Thread {  // the resize: waits for the old reader
            lock.exclusive { order.withLock { $0.append("resize") } }
            done.leave()
        }.start()
        Self.waitUntil { lock.resizePending }

        done.enter()
        Thread {  // a fresh reader: must come after the resize, not slip in before it
            lock.shared { order.withLock { $0.append("new reader") } }
            done.leave()
        }.start()
        Thread.sleep(forTimeInterval: 0.2)  // room for a broken gate to let the new reader in
        #expect(order.withLock { $0 }.isEmpty)
        release.signal()
        done.wait()
        #expect(order.withLock { $0 } == ["old reader out", "resize", "new reader"])
    }

    @Test func aNestedHoldPassesAPendingResize() {
        let lock = ResizeLock()
        let nested = Mutex(false)
        let holding = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        Thread {
            lock.shared {
                holding.signal()
                proceed.wait()
                // Waiting at the gate here would deadlock: the resize waits for this very hold.
                lock.shared { nested.withLock { $0 = true } }
            }
            done.leave()
        }.start()
        holding.wait()
        done.enter()
        Thread {
            lock.exclusive {}
            done.leave()
        }.start()
        Self.waitUntil { lock.resizePending }
        proceed.signal()
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(nested.withLock { $0 })
    }

    static func waitUntil(_ condition: () -> Bool) {
        while !condition() { Thread.sleep(forTimeInterval: 0.001) }
    }
}
