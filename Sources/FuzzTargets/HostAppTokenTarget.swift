import Accounts
import ChatModel
import Crypto
import Foundation

/// The host app's HS256 tokens. Byte 0 picks the mode: even, the rest is a token as sent; odd, the
/// rest is a header and a payload (JSON, split at the first newline) that the target signs with
/// the secret, so the fuzzer reaches the claims checks behind the signature.
enum HostAppTokenTarget {
    static let secret = "fuzz-secret-fuzz-secret-fuzz-secret-0123456789"
    static let now: Int64 = 1_750_000_000
    static let verifier: HostAppTokenVerifier = {
        do { return try HostAppTokenVerifier(secret: secret) } catch { fatalError("fuzz setup: \(error)") }
    }()

    static func run(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let rest = Data(input.dropFirst())
        fuzzCheck(Base64URL.decode(Substring(Base64URL.encode(rest))) == rest, "base64url does not round-trip \(rest)")
        if mode % 2 == 0 {
            let token = String(decoding: rest, as: UTF8.self)
            if case .success(let claims) = verifier.verify(token, now: now) {
                check(claims)
                fuzzCheck(isSigned(token), "accepted a token not signed with the secret: \(token)")
            }
        } else {
            let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            let header = Base64URL.encode(rest[..<newline])
            let payload = Base64URL.encode(newline == rest.endIndex ? Data() : rest[(newline + 1)...])
            let token = "\(header).\(payload).\(signature(of: "\(header).\(payload)"))"
            let result = verifier.verify(token, now: now)
            if case .success(let claims) = result {
                check(claims)
                // The same token with another signature is refused.
                let forged = "\(header).\(payload).\(signature(of: "\(header).\(payload)x"))"
                fuzzCheck(verifier.verify(forged, now: now) == .failure(.signature), "a wrong signature passed")
            }
        }
    }

    static func check(_ claims: HostAppTokenVerifier.Claims) {
        fuzzCheck(claims.expiresAt > now, "an expired token (exp \(claims.expiresAt)) passed")
        fuzzCheck(Names.isValidUserName(claims.userName), "user name \(claims.userName) passed")
        fuzzCheck(!claims.displayName.isEmpty, "empty display name")
    }

    static func signature(of signed: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Base64URL.encode(Data(mac))
    }

    static func isSigned(_ token: String) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let given = Base64URL.decode(parts[2]) else { return false }
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(parts[0]).\(parts[1])".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac) == given
    }
}
