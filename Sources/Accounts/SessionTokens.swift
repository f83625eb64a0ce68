import ChatModel
import Crypto
import Foundation

/// Session tokens: 32 random bytes, base64url; only their SHA-256 is stored.
public enum SessionTokens {
    /// How long a session lasts.
    public static let lifetime: Micros = 30 * 24 * 3600 * 1_000_000

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    public static func expiry(from now: Micros) -> Micros { now + lifetime }
}
