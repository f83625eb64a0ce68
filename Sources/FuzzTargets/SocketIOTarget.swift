import NIOCore
import SocketIOProtocol

/// Socket.IO: a text packet, then the binary attachments its header announced, as the connection
/// feeds them (`BinaryAssembler`). Input: the text packet, then each attachment after a 0x00 byte.
/// A packet that assembles must encode (placeholders + attachments) to what assembles to it again.
enum SocketIOTarget {
    static let separator: UInt8 = 0

    static func run(_ input: [UInt8]) {
        let parts = input.split(separator: separator, omittingEmptySubsequences: false)
        let text = String(decoding: parts[0], as: UTF8.self)
        let attachments = parts.dropFirst().map { ByteBuffer(bytes: $0) }
        guard let packet = assemble(text, attachments) else { return }

        let (encoded, encodedAttachments) = packet.encode()
        let again = assemble(encoded, encodedAttachments)
        fuzzCheck(
            again == packet,
            "\(packet) encodes to \(encoded) (+\(encodedAttachments.count)), which assembles to \(String(describing: again))"
        )
    }

    /// The packet once complete; nil when it is refused, or still waits for attachments.
    static func assemble(_ text: String, _ attachments: [ByteBuffer]) -> SocketIOPacket? {
        var assembler = BinaryAssembler()
        do {
            let (packet, count) = try SocketIOPacket.decode(text)
            fuzzCheck(count >= 0 && count <= SocketIOLimits().maxAttachments, "attachment count \(count) out of bounds")
            if let complete = try assembler.start(packet, attachments: count) {
                fuzzCheck(!assembler.isWaiting, "complete at once, yet waiting")
                return complete
            }
            for (index, attachment) in attachments.enumerated() {
                if let complete = try assembler.add(attachment) {
                    fuzzCheck(index + 1 == count, "complete after \(index + 1) of \(count) attachments")
                    return complete
                }
            }
            return nil
        } catch {
            return nil
        }
    }
}
