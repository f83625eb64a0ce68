import ChatModel
import ChatStore
import Foundation
import NIOHTTP1

/// Who is this? Resolves a session token (from the page's login or `fitchat token issue`) or a
/// host-app JWT to an active user. Host-app users are provisioned on first sight.
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

    /// The user behind `token`, or nil (unknown, expired, disabled, bad signature, …).
    public func authenticate(token: String) async -> (User, Credential)? {
        if token.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            return await hostAppUser(token).map { ($0, .hostApp) }
        }
        let hash = SessionTokens.hash(token)
        guard let session = try? store.session(tokenHash: hash), session.expiresAt > Clock.nowMicros(),
              let user = try? store.user(id: session.userID), !user.disabled else { return nil }
        return (user, .session(hash: hash))
    }

    private func hostAppUser(_ token: String) async -> User? {
        guard let hostApp, case .success(let claims) = hostApp.verify(token, now: Clock.nowMicros() / 1_000_000) else { return nil }
        if let existing = try? store.user(named: claims.userName) {
            return existing.disabled ? nil : existing
        }
        do {
            return try await store.createUser(name: claims.userName, displayName: claims.displayName, role: .member, passwordHash: nil)
        } catch RepositoryError.userExists {
            // Two first connections raced; the other one created the user.
            return try? store.user(named: claims.userName).flatMap { $0.disabled ? nil : $0 }
        } catch {
            return nil
        }
    }

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
