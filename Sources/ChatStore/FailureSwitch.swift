import Synchronization

/// What the test hook's storage-failure switch makes fail; any thread may read and flip it.
public final class FailureSwitch: Sendable {
    public enum Mode: UInt8, Sendable {
        case off
        /// Every read and write, as a broken disk would.
        case everything
        /// Writes only: what a write that fails after the reads succeeded does (a sign-in whose
        /// session cannot be saved).
        case writes
    }

    private let mode = Atomic<UInt8>(Mode.off.rawValue)

    public var failsReads: Bool { mode.load(ordering: .relaxed) == Mode.everything.rawValue }
    public var failsWrites: Bool { mode.load(ordering: .relaxed) != Mode.off.rawValue }

    public func set(_ value: Mode) { mode.store(value.rawValue, ordering: .relaxed) }
}
