import EngineIOProtocol

/// Engine.IO: one packet as a WebSocket text frame carries it, and a long-polling body. Whatever
/// decodes must encode to text that decodes to the same packets (base64 binary included).
enum EngineIOTargets {
    static func packet(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        guard let packet = try? EnginePacket.decode(text: Substring(text)) else { return }
        let again = try? EnginePacket.decode(text: Substring(packet.textEncoding))
        fuzzCheck(
            again == packet,
            "packet \(packet) encodes to \(packet.textEncoding), which decodes to \(String(describing: again))")
    }

    static func pollingPayload(_ input: [UInt8]) {
        let body = String(decoding: input, as: UTF8.self)
        guard let packets = try? PollingPayload.decode(body) else { return }
        fuzzCheck(!packets.isEmpty, "a payload decoded to no packets")
        let encoded = PollingPayload.encode(packets)
        let again = try? PollingPayload.decode(encoded)
        fuzzCheck(
            again == packets, "payload \(packets) encodes to \(encoded), which decodes to \(String(describing: again))")
    }
}
