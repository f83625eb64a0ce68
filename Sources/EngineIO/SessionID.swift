/// Session ids: 144 bits from the system CSPRNG (getrandom on Linux), base64url without padding.
enum SessionID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        for _ in 0..<24 { bytes.append(alphabet[Int(generator.next() % 64)]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
