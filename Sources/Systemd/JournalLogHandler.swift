import CSystemd
import Foundation
import Logging

/// A swift-log handler writing native journal entries with `sd_journal_sendv`, so operators can
/// filter by field: `journalctl -u fitchat FITCHAT_USER=ann`.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = self.metadata
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error { all["error"] = "\(error)" }
        let fields = JournalFields.make(
            level: event.level, message: event.message.description, metadata: all,
            file: event.file, function: event.function, line: event.line)
        Self.send(fields)
    }

    static func send(_ fields: [String]) {
        var buffers = fields.map { Array($0.utf8) }
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        for index in buffers.indices {
            buffers[index].withUnsafeMutableBytes { raw in
                vectors.append(iovec(iov_base: raw.baseAddress, iov_len: raw.count))
            }
        }
        // The arrays stay alive (and unmoved) for the duration of the call.
        withExtendedLifetime(buffers) {
            _ = sd_journal_sendv(&vectors, CInt(vectors.count))
        }
    }

    /// True when stderr is connected to the journal (`JOURNAL_STREAM` names its device and inode).
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
