import ChatModel
import Crypto
import Foundation

/// Session tokens: 32 random bytes, base64url; only their SHA-256 is stored.
public enum SessionTokens {
    /// How long a session lasts.
    public static let lifetime: Micros = 30 * 24 * 3600 * 1_000_000

    public static func generate() -> String {
        Base64URL.encode(Data(SecureRandom.bytes(32)))
    }

    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    public static func expiry(from now: Micros) -> Micros { now + lifetime }
}
