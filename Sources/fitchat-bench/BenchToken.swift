import Crypto
import Foundation

/// HS256 host-app tokens for the load generator's users, signed with the server's secret: the
/// same CONNECT auth (`{"token": …}`, `sub` = user name) that fitchat and the seed peer accept.
enum BenchToken {
    static func sign(user: String, secret: String, lifetime: TimeInterval = 3600) -> String {
        let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let expiry = Int(Date().timeIntervalSince1970 + lifetime)
        let payload = base64URL(Data(#"{"sub":"\#(user)","name":"\#(user)","exp":\#(expiry)}"#.utf8))
        let signingInput = header + "." + payload
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return signingInput + "." + base64URL(Data(mac))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
