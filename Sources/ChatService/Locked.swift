import Synchronization

/// A value only ever touched while holding its lock: the chat service's state. A class around a
/// `Mutex` so the service (a `Sendable` class) can hold it as a `let`.
final class Locked<Value>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: sending Value) { mutex = Mutex(value) }

    func withLock<T>(_ body: (inout sending Value) throws -> sending T) rethrows -> sending T {
        try mutex.withLock(body)
    }
}
