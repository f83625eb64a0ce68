/// A small JSON writer that keeps fields in the order written (readable exports, stable tests).
final class JSONWriter {
    private(set) var text = ""
    private var needsComma = [false]

    func object(_ body: () -> Void) {
        separate()
        text += "{"
        needsComma.append(false)
        body()
        needsComma.removeLast()
        text += "}"
    }

    func field(_ name: String, _ value: () -> Void) {
        separate()
        appendString(name)
        text += ":"
        needsComma.append(false)
        value()
        needsComma.removeLast()
    }

    func string(_ value: String) {
        separate()
        appendString(value)
    }

    func number<T: BinaryInteger>(_ value: T) {
        separate()
        text += String(value)
    }

    func bool(_ value: Bool) {
        separate()
        text += value ? "true" : "false"
    }

    func null() {
        separate()
        text += "null"
    }

    private func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    private func appendString(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case let s where s.value < 0x20 || s.value == 0x2028 || s.value == 0x2029:
                let hex = String(s.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
