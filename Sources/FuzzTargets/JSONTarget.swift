import SocketIOProtocol

/// The JSON reader: any bytes (invalid UTF-8 too). A value read must write out as JSON that reads
/// back to the same value, and writing that again gives the same text (the writer is deterministic).
enum JSONTarget {
    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        guard let value = try? JSONValue.parse(Substring(text)) else { return }
        let written = value.jsonString
        let again: JSONValue
        do {
            again = try JSONValue.parse(Substring(written))
        } catch {
            fatalError("fuzz invariant broken: \(value) writes \(written), which does not read: \(error)")
        }
        fuzzCheck(again == value, "\(value) writes \(written), which reads as \(again)")
        fuzzCheck(again.jsonString == written, "\(written) rewrites as \(again.jsonString)")
    }
}
