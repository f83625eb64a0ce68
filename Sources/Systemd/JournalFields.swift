import Logging

/// The fields of one native journal entry, built without I/O so they can be unit-tested.
public enum JournalFields {
    /// syslog priorities, as journald expects in `PRIORITY`.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// `FITCHAT_USER` from `user`: upper case, anything but letters and digits becomes `_`.
    public static func fieldName(for key: String) -> String {
        let mapped = key.uppercased().unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isASCII && (c.isLetter || c.isNumber)) ? c : "_"
        }
        return "FITCHAT_" + String(mapped)
    }

    public static func make(
        level: Logger.Level, message: String, metadata: Logger.Metadata, identifier: String = "fitchat",
        file: String, function: String, line: UInt
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)",
            "PRIORITY=\(priority(level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(file)",
            "CODE_LINE=\(line)",
            "CODE_FUNC=\(function)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("\(fieldName(for: key))=\(flatten(value))")
        }
        return fields
    }

    static func flatten(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let s): s.description
        case .array(let items): items.map(flatten).joined(separator: ",")
        case .dictionary(let dict):
            dict.sorted { $0.key < $1.key }.map { "\($0.key)=\(flatten($0.value))" }.joined(separator: ",")
        }
    }
}
