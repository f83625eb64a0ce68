import Foundation

/// A value only ever touched while holding its lock. (`Synchronization.Mutex` would do, but the
/// package still builds for macOS 14, where it is unavailable.)
/// `@unchecked Sendable`: `value` is read and written only inside `withLock`, under `lock`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
