import Foundation

/// What the benchmarks read about the server process from /proc: CPU time and resident memory.
struct ServerProcess {
    let pid: Int32

    /// User + system CPU time in microseconds (fields 14 and 15 of /proc/PID/stat).
    func cpuMicros() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces), starting at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticks * 1_000_000
    }

    /// Resident set size in bytes (VmRSS of /proc/PID/status).
    func residentBytes() -> Int? { statusBytes("VmRSS") }

    /// A `kB` field of /proc/PID/status (VmRSS, RssAnon, …) in bytes.
    func statusBytes(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let number = line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ")
                .first
            return number.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// Open file descriptors (entries of /proc/PID/fd).
    func openFiles() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")).map(\.count)
    }

    /// RSS, anonymous RSS and open files at once; nil once the process is gone.
    func footprint() -> DaemonFootprint? {
        guard let resident = statusBytes("VmRSS"), let anonymous = statusBytes("RssAnon"), let files = openFiles()
        else { return nil }
        return DaemonFootprint(residentBytes: resident, anonymousBytes: anonymous, openFiles: files)
    }

    /// Whether the process still exists (and is not a zombie).
    var isAlive: Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return false }
        return !text[text.index(after: close)...].hasPrefix(" Z")
    }
}

/// Raises this process's open-file limit to its hard maximum: the benches hold many sockets.
func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    return Int(limit.rlim_cur)
}
