import CSystemd

/// `sd_notify`: readiness, status, watchdog keep-alives and stopping, to the service manager.
/// Without `NOTIFY_SOCKET` (started by hand) every call is a no-op.
public struct Notifier: Sendable {
    public init() {}

    @discardableResult
    public func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    public func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    public func status(_ text: String) { notify("STATUS=\(text)") }
    public func stopping(status: String = "Stopping") { notify("STOPPING=1\nSTATUS=\(status)") }
    public func watchdog() { notify("WATCHDOG=1") }

    /// The watchdog interval when systemd asked for keep-alives (`WATCHDOG_USEC`, and
    /// `WATCHDOG_PID` if set is this process), else nil.
    public func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}
