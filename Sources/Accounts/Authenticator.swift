import ChatModel
import ChatStore
import Foundation
import NIOHTTP1

/// Who is this? Resolves a session token (from the page's login or `fitchat token issue`) or a
/// host-app JWT to an active user. Host-app users are provisioned (and marked) on first sight; a
/// host-app token never signs in a local account unless an admin linked it (`user link-host`).
public final class Authenticator: Sendable {
    public static let sessionCookie = "fitchat_session"

    public enum Credential: Sendable, Equatable {
        case session(hash: [UInt8])
        case hostApp
    }

    let store: ChatStore
    let hostApp: HostAppTokenVerifier?

    public init(store: ChatStore, hostApp: HostAppTokenVerifier?) {
        self.store = store
        self.hostApp = hostApp
    }

    /// The user behind `token`, or nil (unknown, expired, disabled, bad signature, …). Throws
    /// only when the store fails: that is the server's fault, never "unauthorized".
    public func authenticate(token: String) async throws -> (User, Credential)? {
        if token.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            return try await hostAppUser(token).map { ($0, .hostApp) }
        }
        let hash = SessionTokens.hash(token)
        guard let session = try store.session(tokenHash: hash), session.expiresAt > SystemClock().wallMicros(),
            let user = try store.user(id: session.userID), !user.disabled
        else { return nil }
        return (user, .session(hash: hash))
    }

    private func hostAppUser(_ token: String) async throws -> User? {
        guard let hostApp,
            case .success(let claims) = hostApp.verify(token, now: SystemClock().wallMicros() / 1_000_000)
        else { return nil }
        if let existing = try store.user(named: claims.userName) {
            return Self.hostAppMaySignIn(existing) ? existing : nil
        }
        do {
            return try await provision(claims, displayName: claims.displayName)
        } catch RepositoryError.displayNameTaken {
            // The host app's display name would pass for another user's name: show the user name.
            return try await provision(claims, displayName: claims.userName)
        } catch RepositoryError.userExists {
            // Two first connections raced; the other one created the user.
            return try store.user(named: claims.userName).flatMap { Self.hostAppMaySignIn($0) ? $0 : nil }
        }
    }

    private func provision(_ claims: HostAppTokenVerifier.Claims, displayName: String) async throws -> User {
        try await store.createUser(
            name: claims.userName, displayName: displayName, role: .member, passwordHash: nil, hostApp: true)
    }

    /// Only users the host app provisioned, or an admin linked: a token naming a local account
    /// (the admin made by /setup, a password member) must not take it over.
    static func hostAppMaySignIn(_ user: User) -> Bool { user.hostApp && !user.disabled }

    /// The session cookie's value in a request's headers.
    public static func sessionToken(in headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "Cookie"] {
            for pair in header.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == sessionCookie {
                    return kv[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}
