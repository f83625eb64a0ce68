import ChatModel
import ChatStore
import Foundation

enum StatusReport {
    static func render(_ status: StoreStatus, lastBackupAt: Micros?) -> String {
        var lines = [
            "schema version: \(status.schemaVersion) (this fitchat: \(ChatStore.schemaVersion))",
            "path:           \(status.path)",
            "file size:      \(bytes(status.fileSize))",
            "map size:       \(bytes(status.mapSize))",
            "readers:        \(status.readersInUse) in use of \(status.maxReaders)",
            "last backup:    \(lastBackupAt.map { ISO8601.format(micros: $0) } ?? "never")",
            "entries:",
        ]
        let width = status.entries.map(\.table.count).max() ?? 0
        for entry in status.entries {
            lines.append("  " + entry.table.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(entry.count)")
        }
        return lines.joined(separator: "\n")
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@ (%d bytes)", value, units[unit], count)
    }
}
