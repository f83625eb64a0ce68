import Foundation
import Testing

@testable import Accounts

@Suite struct HostAppTokenTests {
    let verifier = try! HostAppTokenVerifier(secret: String(repeating: "k", count: 32))
    let now: Int64 = 1_800_000_000

    func token(header: String, payload: String, signWith other: HostAppTokenVerifier? = nil) -> String {
        let b64 = { (s: String) in
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }
        let signed = (other ?? verifier).sign(["x": 1]).split(separator: ".")[2]
        return "\(b64(header)).\(b64(payload)).\(signed)"
    }

    @Test func aValidTokenGivesTheClaims() {
        let token = verifier.sign(["sub": "maria", "name": "Maria K", "exp": now + 60])
        #expect(
            verifier.verify(token, now: now)
                == .success(.init(userName: "maria", displayName: "Maria K", expiresAt: now + 60)))
        let plain = verifier.sign(["sub": "maria", "exp": now + 60])
        #expect((try? verifier.verify(plain, now: now).get())?.displayName == "maria")
    }

    @Test func refusals() throws {
        let other = try HostAppTokenVerifier(secret: String(repeating: "z", count: 40))
        #expect(verifier.verify(other.sign(["sub": "maria", "exp": now + 60]), now: now) == .failure(.signature))
        #expect(verifier.verify(verifier.sign(["sub": "maria", "exp": now - 1]), now: now) == .failure(.expired))
        #expect(verifier.verify(verifier.sign(["sub": "maria"]), now: now) == .failure(.claims))
        #expect(verifier.verify(verifier.sign(["sub": "maria", "exp": true]), now: now) == .failure(.claims))
        #expect(verifier.verify(verifier.sign(["sub": "not a name!", "exp": now + 60]), now: now) == .failure(.claims))
        #expect(
            verifier.verify(verifier.sign(["sub": "maria", "exp": now + 60, "nbf": now + 30]), now: now)
                == .failure(.notYetValid))
        #expect(verifier.verify("a.b", now: now) == .failure(.malformed))
        #expect(verifier.verify("!!.??.**", now: now) == .failure(.malformed))
    }

    @Test(arguments: [
        #"{"alg":"none"}"#, #"{"alg":"HS512"}"#, #"{"alg":"RS256"}"#, #"{"typ":"JWT"}"#, #"{"alg":"hs256"}"#,
    ])
    func onlyHS256IsAccepted(header: String) {
        let unsigned = token(header: header, payload: #"{"sub":"maria","exp":1900000000}"#)
        #expect(verifier.verify(unsigned, now: now) == .failure(.algorithm))
    }

    /// `header.payload.` (an empty signature), a truncated or altered one: the claims are signed
    /// by nobody, so the token is refused as a bad signature, whatever the claims say.
    @Test func aTokenWithoutItsRealSignatureIsRefused() {
        let valid = verifier.sign(["sub": "maria", "exp": now + 60])
        #expect((try? verifier.verify(valid, now: now).get())?.userName == "maria")
        let parts = valid.split(separator: ".", omittingEmptySubsequences: false)
        let signature = String(parts[2])
        let flipped = (signature.first == "A" ? "B" : "A") + String(signature.dropFirst())
        for bad in ["", String(signature.prefix(16)), flipped, String(repeating: "A", count: signature.count)] {
            #expect(
                verifier.verify("\(parts[0]).\(parts[1]).\(bad)", now: now) == .failure(.signature), "signature \(bad)")
        }
        #expect(verifier.verify("\(parts[0]).\(parts[1])", now: now) == .failure(.malformed))
    }

    @Test func aShortSecretIsRefused() {
        #expect(throws: HostAppTokenVerifier.SecretTooShort.self) { try HostAppTokenVerifier(secret: "short") }
    }
}
