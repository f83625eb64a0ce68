import ChatModel
import ChatStore
import Foundation
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SocketIOProtocol

/// Sign-in over HTTP: `POST /login`, `/logout`, `/setup` (the first admin, only while no user
/// exists) and `/register` (only when open registration is on). Forms get redirects, JSON callers
/// get JSON. Sessions are cookies (HttpOnly, SameSite=Strict) whose token is stored only hashed.
final class AccountRoutes: Sendable {
    let store: ChatStore
    let chat: ChatServer
    let originPolicy: OriginPolicy
    let openRegistration: Bool
    let logger: Logger
    private let throttle = NIOLockedValueBox((
        accounts: RateLimiter<String>(burst: 10, rate: 0.1),
        addresses: RateLimiter<String>(burst: 30, rate: 0.5)))
    private let setupLock = NIOLockedValueBox(false)
    static let minimumPasswordLength = 8

    init(store: ChatStore, chat: ChatServer, originPolicy: OriginPolicy, openRegistration: Bool, logger: Logger) {
        self.store = store
        self.chat = chat
        self.originPolicy = originPolicy
        self.openRegistration = openRegistration
        self.logger = logger
    }

    func install(on http: HTTPServer) {
        http.route(.POST, "/login") { [self] in await guarded($0, login) }
        http.route(.POST, "/logout") { [self] in await guarded($0, logout) }
        http.route(.POST, "/setup") { [self] in await guarded($0, setup) }
        http.route(.POST, "/register") { [self] in await guarded($0, register) }
        http.route(.GET, "/api/me") { [self] request in await me(request) }
    }

    /// Cross-site form posts are refused like cross-site WebSockets.
    private func guarded(_ request: HTTPRequest, _ handler: (HTTPRequest, Reply) async -> HTTPResponse) async -> HTTPResponse {
        let reply = Reply(json: Self.wantsJSON(request))
        guard originPolicy.allows(request.headers) else { return reply.failure(.forbidden, ChatError(.forbidden, "cross-site request refused"), back: "/login") }
        return await handler(request, reply)
    }

    // MARK: Handlers

    private func login(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        let form = Self.form(request)
        let name = form["username"] ?? "", password = form["password"] ?? ""
        let address = request.remoteAddress?.ipAddress ?? "unknown"
        let allowed = throttle.withLockedValue { limits in
            let now = Clock.monotonicMicros()
            return limits.addresses.allow(address, now: now) && limits.accounts.allow(name.lowercased(), now: now)
        }
        guard allowed else {
            logger.warning("login throttled", metadata: ["user": "\(name)", "remote": "\(address)"])
            return reply.failure(.tooManyRequests, .rateLimited, back: "/login?error=rate_limited")
        }
        guard let user = try? store.user(named: name), !user.disabled, let hash = user.passwordHash,
              await Self.verify(password, against: hash) else {
            logger.notice("login refused", metadata: ["user": "\(name)", "remote": "\(address)"])
            return reply.failure(.unauthorized, ChatError(.unauthorized, "wrong user name or password"), back: "/login?error=unauthorized")
        }
        logger.notice("login", metadata: ["user": "\(name)", "remote": "\(address)"])
        return await signedIn(user, reply)
    }

    private func logout(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        if let token = Self.bearer(request) ?? Authenticator.sessionToken(in: request.headers) {
            let hash = SessionTokens.hash(token)
            if let session = try? store.session(tokenHash: hash) {
                try? await store.deleteSession(tokenHash: hash)
                chat.closeSessions(hash: hash, userID: session.userID)
                logger.notice("logout", metadata: ["user": "\((try? store.user(id: session.userID))?.name ?? "?")"])
            }
        }
        var response = reply.success([:], redirect: "/login")
        response.headers.add(name: "Set-Cookie", value: "\(Authenticator.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
        return response
    }

    private func setup(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        // One at a time, and only while nobody exists.
        guard setupLock.withLockedValue({ busy in defer { busy = true }; return !busy }) else {
            return reply.failure(.conflict, ChatError(.forbidden, "setup is already under way"), back: "/setup")
        }
        defer { setupLock.withLockedValue { $0 = false } }
        guard (try? store.userCount()) == 0 else {
            return reply.failure(.forbidden, ChatError(.forbidden, "setup is done: sign in instead"), back: "/login")
        }
        return await createAccount(Self.form(request), role: .admin, reply: reply, back: "/setup")
    }

    private func register(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        guard openRegistration else {
            return reply.failure(.forbidden, ChatError(.forbidden, "registration is closed: ask the gym for an account"), back: "/login")
        }
        return await createAccount(Self.form(request), role: .member, reply: reply, back: "/register")
    }

    private func me(_ request: HTTPRequest) async -> HTTPResponse {
        let reply = Reply(json: true)
        guard let token = Self.bearer(request) ?? Authenticator.sessionToken(in: request.headers),
              let (user, _) = await chat.authenticator.authenticate(token: token) else {
            return reply.failure(.unauthorized, ChatError(.unauthorized, "not signed in"), back: "/login")
        }
        return reply.success(["user": ChatJSON.user(user)], redirect: "/chat")
    }

    private func createAccount(_ form: [String: String], role: UserRole, reply: Reply, back: String) async -> HTTPResponse {
        let name = form["username"] ?? "", password = form["password"] ?? ""
        let displayName = (form["display_name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard Names.isValidUserName(name) else {
            return reply.failure(.badRequest, ChatError(.invalidRequest, NameError.invalidUserName(name).description), back: back)
        }
        if case .failure(let error) = DisplayName.validate(displayName) { return reply.failure(.badRequest, error, back: back) }
        guard password.count >= Self.minimumPasswordLength else {
            return reply.failure(.badRequest, ChatError(.invalidRequest, "passwords need at least \(Self.minimumPasswordLength) characters"), back: back)
        }
        do {
            let hash = try await Self.hash(password)
            let user = try await store.createUser(name: name, displayName: displayName.isEmpty ? name : displayName,
                                                  role: role, passwordHash: hash)
            logger.notice("account created", metadata: ["user": "\(name)", "role": "\(role)"])
            return await signedIn(user, reply)
        } catch RepositoryError.userExists {
            return reply.failure(.conflict, ChatError(.invalidRequest, "that user name is taken"), back: back)
        } catch {
            logger.error("account creation failed", metadata: ["error": "\(error)"])
            return reply.failure(.internalServerError, ChatError(.internalError, "could not create the account"), back: back)
        }
    }

    private func signedIn(_ user: User, _ reply: Reply) async -> HTTPResponse {
        let token = SessionTokens.generate()
        do {
            try await store.createSession(Session(tokenHash: SessionTokens.hash(token), userID: user.id,
                                                  expiresAt: SessionTokens.expiry(from: Clock.nowMicros())))
        } catch {
            return reply.failure(.internalServerError, ChatError(.internalError, "could not start a session"), back: "/login")
        }
        var response = reply.success(["user": ChatJSON.user(user), "token": .string(token)], redirect: "/chat")
        response.headers.add(name: "Set-Cookie", value: "\(Authenticator.sessionCookie)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(SessionTokens.lifetime / 1_000_000)")
        return response
    }

    // MARK: Request helpers

    static func wantsJSON(_ request: HTTPRequest) -> Bool {
        let type = request.headers.first(name: "Content-Type")?.lowercased() ?? ""
        let accept = request.headers.first(name: "Accept")?.lowercased() ?? ""
        return type.hasPrefix("application/json") || (accept.contains("application/json") && !accept.contains("text/html"))
    }

    /// Form fields from an urlencoded or JSON body.
    static func form(_ request: HTTPRequest) -> [String: String] {
        guard let body = request.body else { return [:] }
        let text = String(buffer: body)
        if (request.headers.first(name: "Content-Type") ?? "").lowercased().hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
            return object.compactMapValues { $0 as? String }
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return fields
    }

    static func bearer(_ request: HTTPRequest) -> String? {
        guard let value = request.headers.first(name: "Authorization"), value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// scrypt takes a good fraction of a second on purpose: keep it off the event loops and the
    /// cooperative pool.
    static func verify(_ password: String, against hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: (try? PasswordHasher.verify(password, against: hash)) ?? false) }
        }
    }

    static func hash(_ password: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try PasswordHasher().hash(password) }) }
        }
    }
}

/// The two ways to answer: JSON for scripts, redirects for the page's forms.
struct Reply {
    var json: Bool

    func success(_ fields: [String: JSONValue], redirect: String) -> HTTPResponse {
        guard json else { return Self.redirect(redirect) }
        return Self.json(.ok, ChatJSON.success(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    func failure(_ status: HTTPResponseStatus, _ error: ChatError, back: String) -> HTTPResponse {
        guard json else { return Self.redirect(back.contains("?") ? back : back + "?error=\(error.code.rawValue)") }
        return Self.json(status, ChatJSON.failure(error))
    }

    static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: .seeOther, headers: ["Location": location, "Cache-Control": "no-store"])
    }

    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                     body: ByteBuffer(string: value.jsonString))
    }
}
