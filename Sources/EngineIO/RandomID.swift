/// Ids for sessions and sockets: characters of the base64url alphabet drawn from the system CSPRNG
/// (getrandom on Linux), 6 bits each.
public enum RandomID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func make(characters: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<characters).map { _ in alphabet[Int(generator.next() % 64)] }, as: UTF8.self)
    }

    /// An Engine.IO session id: 144 bits.
    static func session() -> String { make(characters: 24) }
}
