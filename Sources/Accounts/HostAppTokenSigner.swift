import Crypto
import Foundation

/// Makes HS256 host-app tokens: what a host app does, here for tests, the load generator and
/// operators checking their setup. Verification is `HostAppTokenVerifier`'s.
public struct HostAppTokenSigner: Sendable {
    private let key: SymmetricKey

    public init(secret: String) {
        key = SymmetricKey(data: Data(secret.utf8))
    }

    init(key: SymmetricKey) {
        self.key = key
    }

    /// `claims` as the payload (keys sorted), signed.
    public func sign(_ claims: [String: Any]) -> String {
        let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(
            (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data())
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(payload)".utf8), using: key)
        return "\(header).\(payload).\(Base64URL.encode(Data(mac)))"
    }

    /// A token for `user` (`sub` and `name`) that expires `lifetime` seconds from now.
    public func sign(user: String, lifetime: TimeInterval = 3600) -> String {
        sign(["sub": user, "name": user, "exp": Int(Date().timeIntervalSince1970 + lifetime)])
    }
}
