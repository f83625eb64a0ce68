/// Text from users made safe to print where it could otherwise forge a line or reorder what an
/// operator reads: in logs and in the CLI's tables.
public enum SafeText {
    /// Control characters (C0, DEL, C1, line and paragraph separators) and bidirectional
    /// controls become visible `\u{…}` escapes (`\n`, `\r`, `\t` keep their short forms), and
    /// the result is cut to `limit` characters, marked with `…`.
    public static func escaped(_ text: String, limit: Int? = nil) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if let limit, count >= limit {
                out += "…"
                break
            }
            out += escape(scalar)
            count += 1
        }
        return out
    }

    /// For log metadata: escaped and cut to 64 characters (a 900 KB name must not grow the log).
    public static func forLog(_ text: String, limit: Int = 64) -> String { escaped(text, limit: limit) }

    static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\\": return "\\\\"
        default:
            return needsEscape(scalar) ? "\\u{" + String(scalar.value, radix: 16) + "}" : String(scalar)
        }
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return true }
        // LRM/RLM, ALM, LRE…RLO (embeddings and overrides), LRI…PDI (isolates), LS/PS.
        if v == 0x200E || v == 0x200F || v == 0x061C || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
            return true
        }
        if v == 0x2028 || v == 0x2029 { return true }
        return false
    }
}
