import Synchronization

/// An on/off flag any thread may read and flip (the test hook's storage-failure switch).
public final class FailureSwitch: Sendable {
    private let on = Atomic<Bool>(false)

    public var isOn: Bool { on.load(ordering: .relaxed) }

    public func set(_ value: Bool) { on.store(value, ordering: .relaxed) }
}
