import CSystemd
import Foundation

/// Sockets passed by systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`).
public enum ListenFDs {
    public struct Passed: Equatable, Sendable {
        public var fd: CInt
        public var name: String
    }

    /// The passed sockets, or [] when not socket-activated. libsystemd checks that `LISTEN_PID`
    /// is this process; the variables are removed so children do not inherit them.
    public static func take() -> [Passed] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<count).map { index in
            let fd = SD_LISTEN_FDS_START + index
            let name = names?[Int(index)].map { String(cString: $0) } ?? "unknown"
            return Passed(fd: fd, name: name)
        }
    }

    /// The sockets meant for HTTP: those named `http` (`FileDescriptorName=http`), or all of them
    /// when none carries a name.
    public static func http(_ passed: [Passed]) -> [CInt] {
        let named = passed.filter { $0.name == "http" }
        if !named.isEmpty { return named.map(\.fd) }
        return passed.filter { $0.name == "unknown" || $0.name == "LISTEN_FDS" }.map(\.fd)
    }
}
