/// HTTP long-polling payloads: packets joined by the record separator, binary as base64.
public enum PollingPayload {
    public static let separator: Character = "\u{1e}"

    public static func encode(_ packets: [EnginePacket]) -> String {
        packets.map(\.textEncoding).joined(separator: String(separator))
    }

    public static func decode(_ body: String) throws(EngineDecodingError) -> [EnginePacket] {
        var packets: [EnginePacket] = []
        for segment in body.split(separator: separator, omittingEmptySubsequences: false) {
            packets.append(try EnginePacket.decode(text: segment))
        }
        return packets
    }
}
