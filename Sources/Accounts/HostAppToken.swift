import ChatModel
import Crypto
import Foundation

/// HS256 JSON Web Tokens from the host app (the Fitness Trainer backend): `sub` is the user name,
/// `exp` is required, `name` is the display name. Only HS256 is accepted; `alg: none` and every
/// other algorithm are refused, so a token cannot choose how it is checked.
public struct HostAppTokenVerifier: Sendable {
    public static let minimumSecretBytes = 32

    public struct Claims: Equatable, Sendable {
        public var userName: String
        public var displayName: String
        public var expiresAt: Int64

        public init(userName: String, displayName: String, expiresAt: Int64) {
            self.userName = userName
            self.displayName = displayName
            self.expiresAt = expiresAt
        }
    }

    public enum Refusal: Error, Equatable {
        case malformed, algorithm, signature, expired, notYetValid, claims
    }

    public struct SecretTooShort: Error, CustomStringConvertible {
        public var description: String {
            "token_secret must be at least \(HostAppTokenVerifier.minimumSecretBytes) bytes (FITCHAT_TOKEN_SECRET); generate one with: head -c 48 /dev/urandom | base64"
        }
    }

    private let key: SymmetricKey

    public init(secret: String) throws {
        guard secret.utf8.count >= Self.minimumSecretBytes else { throw SecretTooShort() }
        key = SymmetricKey(data: Array(secret.utf8))
    }

    /// Checks a token; `now` in seconds since 1970.
    public func verify(_ token: String, now: Int64) -> Result<Claims, Refusal> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any],
            let payload = try? JSONSerialization.jsonObject(with: payloadBytes) as? [String: Any]
        else { return .failure(.malformed) }
        guard header["alg"] as? String == "HS256" else { return .failure(.algorithm) }
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: key) else {
            return .failure(.signature)
        }
        guard let exp = Self.seconds(payload["exp"]) else { return .failure(.claims) }
        guard exp > now else { return .failure(.expired) }
        // Fail closed: an `nbf` that is there but not a sane time refuses the token.
        if payload["nbf"] != nil {
            guard let nbf = Self.seconds(payload["nbf"]) else { return .failure(.claims) }
            if nbf > now { return .failure(.notYetValid) }
        }
        guard let sub = payload["sub"] as? String, Names.isValidUserName(sub) else { return .failure(.claims) }
        var displayName = sub
        if let name = payload["name"] as? String {
            let clipped = DisplayName.clipped(name)
            if !clipped.isEmpty { displayName = clipped }
        }
        return .success(Claims(userName: sub, displayName: displayName, expiresAt: exp))
    }

    /// A token signed with this verifier's secret (tests).
    public func sign(_ claims: [String: Any]) -> String {
        HostAppTokenSigner(key: key).sign(claims)
    }

    /// Latest time a token may name: the end of year 9999 (beyond it, `1e300` and friends).
    static let latestTime: Double = 253_402_300_799

    /// A NumericDate: a JSON number of seconds from 0 to year 9999. Strings, booleans, NaN and
    /// absurd values are nil, and the caller refuses the token.
    static func seconds(_ value: Any?) -> Int64? {
        guard let number = value as? NSNumber, isNumberNotBoolean(number) else { return nil }
        let seconds = number.doubleValue
        guard seconds.isFinite, seconds >= 0, seconds <= latestTime else { return nil }
        return Int64(seconds)
    }
}

/// JSON numbers only (not booleans, which Foundation also hands out as NSNumber).
private func isNumberNotBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) != "c"
}
