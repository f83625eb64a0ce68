import Accounts
import ChatModel
import ChatStore
import Foundation
import Testing

/// Who a token signs in, against a real store: sessions until they expire and only for active
/// users; host-app tokens only for the users the host app provisioned (or an admin linked).
@Suite struct AuthenticatorTests {
    let secret = String(repeating: "k", count: 40)

    func makeStore() throws -> ChatStore {
        try ChatStore.open(directory: NSTemporaryDirectory() + "auth-\(UUID().uuidString)")
    }

    @Test func aSessionSignsInItsActiveUserUntilItExpires() async throws {
        let store = try makeStore()
        defer { store.close() }
        let auth = Authenticator(store: store, hostApp: nil)
        var ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let now = SystemClock().wallMicros()
        let live = SessionTokens.generate()
        let expired = SessionTokens.generate()
        try await store.createSession(
            Session(tokenHash: SessionTokens.hash(live), userID: ann.id, expiresAt: now + 60_000_000))
        try await store.createSession(
            Session(tokenHash: SessionTokens.hash(expired), userID: ann.id, expiresAt: now - 1_000_000))

        let signedIn = try await auth.authenticate(token: live)
        #expect(signedIn?.0 == ann)
        #expect(signedIn?.1 == .session(hash: SessionTokens.hash(live)))
        #expect(try await auth.authenticate(token: expired) == nil, "an expired session signed in")
        #expect(try await auth.authenticate(token: SessionTokens.generate()) == nil)

        ann.disabled = true
        try await store.updateUser(ann)
        #expect(try await auth.authenticate(token: live) == nil, "a disabled user signed in with a session")
    }

    @Test func aSessionIsFoundByTheSHA256OfItsToken() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let token = SessionTokens.generate()
        #expect(SessionTokens.hash(token).count == 32)
        #expect(SessionTokens.hash(token) != Array(token.utf8))
        try await store.createSession(
            Session(
                tokenHash: SessionTokens.hash(token), userID: ann.id,
                expiresAt: SystemClock().wallMicros() + 60_000_000))
        #expect(try store.session(tokenHash: SessionTokens.hash(token))?.userID == ann.id)
        #expect(try store.session(tokenHash: Array(token.utf8)) == nil)
    }

    @Test func aHostAppTokenSignsInOnlyWhatTheHostAppProvisioned() async throws {
        let store = try makeStore()
        defer { store.close() }
        let verifier = try HostAppTokenVerifier(secret: secret)
        let auth = Authenticator(store: store, hostApp: verifier)
        let exp = SystemClock().wallMicros() / 1_000_000 + 300
        _ = try await store.createUser(name: "coach", displayName: "Coach", role: .admin, passwordHash: "h")
        #expect(
            try await auth.authenticate(token: verifier.sign(["sub": "coach", "exp": exp])) == nil,
            "a host-app token took over a local account")

        let first = try await auth.authenticate(token: verifier.sign(["sub": "maria", "exp": exp]))
        #expect(first?.0.name == "maria" && first?.0.hostApp == true && first?.1 == .hostApp)
        var maria = try #require(try store.user(named: "maria"))
        maria.disabled = true
        try await store.updateUser(maria)
        #expect(
            try await auth.authenticate(token: verifier.sign(["sub": "maria", "exp": exp])) == nil,
            "a disabled host-app user signed in")
    }
}
