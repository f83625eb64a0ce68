import Foundation

/// An on/off flag any thread may read and flip (the test hook's storage-failure switch).
/// `@unchecked Sendable`: its one stored value is only touched under `lock`.
public final class FailureSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var on = false

    public var isOn: Bool { lock.withLock { on } }

    public func set(_ value: Bool) { lock.withLock { on = value } }
}
