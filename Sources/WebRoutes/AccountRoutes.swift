import Accounts
import ChatGateway
import ChatModel
import ChatService
import ChatStore
import Foundation
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Sign-in over HTTP: `POST /login`, `/logout`, `/setup` (the first admin, only while no user
/// exists) and `/register` (only when open registration is on). Forms get redirects, JSON callers
/// get JSON. Sessions are cookies (HttpOnly, SameSite=Strict) whose token is stored only hashed.
public final class AccountRoutes: Sendable {
    let store: ChatStore
    let chat: ChatServer
    let authenticator: Authenticator
    let originPolicy: OriginPolicy
    let openRegistration: Bool
    let logger: Logger
    private let throttle = NIOLockedValueBox(LoginThrottle())
    /// New accounts per address: a few at once, then one a minute.
    private let registrations = NIOLockedValueBox(RateLimiter<String>(burst: 5, rate: 1.0 / 60))
    let passwordWork: PasswordWork
    let loginCheck: LoginCheck
    private let setupLock = NIOLockedValueBox(false)

    public init(
        store: ChatStore, chat: ChatServer, authenticator: Authenticator, originPolicy: OriginPolicy,
        openRegistration: Bool,
        logger: Logger, passwordWork: PasswordWork = PasswordWork(slots: 2, queueLimit: 32)
    ) {
        self.store = store
        self.chat = chat
        self.authenticator = authenticator
        self.originPolicy = originPolicy
        self.openRegistration = openRegistration
        self.logger = logger
        self.passwordWork = passwordWork
        loginCheck = LoginCheck { password, hash in
            try await passwordWork.run { (try? PasswordHasher.verify(password, against: hash)) ?? false }
        }
    }

    public func install(on http: HTTPServer) {
        http.route(.POST, "/login") { [self] in await guarded($0, login) }
        http.route(.POST, "/logout") { [self] in await guarded($0, logout) }
        http.route(.POST, "/setup") { [self] in await guarded($0, setup) }
        http.route(.POST, "/register") { [self] in await guarded($0, register) }
        http.route(.GET, "/api/me") { [self] request in await me(request) }
    }

    /// Cross-site form posts are refused like cross-site WebSockets.
    func guarded(_ request: HTTPRequest, _ handler: (HTTPRequest, Reply) async -> HTTPResponse) async -> HTTPResponse {
        let reply = Reply(json: Self.wantsJSON(request), secure: request.client.isHTTPS)
        guard originPolicy.allows(request.headers, client: request.client) else {
            return reply.failure(.forbidden, ChatError(.forbidden, "cross-site request refused"), back: "/login")
        }
        return await handler(request, reply)
    }

    // MARK: Handlers

    private func login(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        let form = Self.form(request)
        let name = form["username"] ?? ""
        let password = form["password"] ?? ""
        let address = request.client.address
        let budget = request.client.limitKey
        let refused = reply.failure(
            .unauthorized, ChatError(.unauthorized, "wrong user name or password"), back: "/login?error=unauthorized")
        let metadata: Logger.Metadata = ["user": "\(SafeText.forLog(name))", "remote": "\(address)"]
        // A name that breaks the naming rule cannot exist, and the rule is public: refused at once.
        let valid = Names.isValidUserName(name)
        let account = valid ? Names.folded(name) : ""
        let decision = throttle.withLockedValue {
            $0.admit(account: account, address: budget, now: SystemClock().monotonicMicros())
        }
        if case .throttled(let seconds) = decision {
            logger.warning("login throttled", metadata: metadata)
            return reply.failure(.tooManyRequests, .rateLimited, back: "/login?error=rate_limited", retryAfter: seconds)
        }
        guard valid else {
            throttle.withLockedValue { $0.refusedCheaply(address: budget, now: SystemClock().monotonicMicros()) }
            logger.notice("login refused", metadata: metadata)
            return refused
        }
        let signedInUser: User?
        do {
            signedInUser = try await loginCheck.check(try store.user(named: name), password: password)
        } catch is PasswordWork.Busy {
            logger.warning("login refused: too many password checks at once", metadata: metadata)
            return reply.failure(
                .serviceUnavailable, ChatError(.rateLimited, "the server is busy; try again in a moment"),
                back: "/login?error=rate_limited", retryAfter: 1)
        } catch {
            logger.error(
                "login failed",
                metadata: metadata.merging(["error": "\(SafeText.forLog("\(error)", limit: 300))"]) { $1 })
            return reply.failure(
                .internalServerError, ChatError(.internalError, "could not sign in; try again"), back: "/login")
        }
        guard let user = signedInUser else {
            throttle.withLockedValue {
                $0.failed(account: account, address: budget, now: SystemClock().monotonicMicros())
            }
            logger.notice("login refused", metadata: metadata)
            return refused
        }
        return await signedIn(user, reply, logging: "login", ["user": "\(user.name)", "remote": "\(address)"])
    }

    private func logout(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        if let token = Self.bearer(request) ?? Authenticator.sessionToken(in: request.headers) {
            let hash = SessionTokens.hash(token)
            let session: Session?
            do {
                session = try store.session(tokenHash: hash)
                if session != nil { try await store.deleteSession(tokenHash: hash) }
            } catch {
                // The token is still valid: saying "signed out" would be a lie.
                return storageFailure(error, doing: "logout", reply: reply, back: "/chat")
            }
            if let session {
                chat.closeSessions(hash: hash, userID: session.userID)
                logger.notice(
                    "logout",
                    metadata: ["user": "\(SafeText.forLog((try? store.user(id: session.userID))?.name ?? "?"))"])
            }
        }
        var response = reply.success([:], redirect: "/login")
        response.headers.add(
            name: "Set-Cookie", value: "\(Authenticator.sessionCookie)=\(reply.cookieAttributes); Max-Age=0")
        return response
    }

    private func setup(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        // One at a time, and only while nobody exists.
        guard
            setupLock.withLockedValue({ busy in
                defer { busy = true }
                return !busy
            })
        else {
            return reply.failure(.conflict, ChatError(.forbidden, "setup is already under way"), back: "/setup")
        }
        defer { setupLock.withLockedValue { $0 = false } }
        let users: Int
        do { users = try store.userCount() } catch {
            return storageFailure(error, doing: "setup", reply: reply, back: "/setup")
        }
        guard users == 0 else {
            return reply.failure(.forbidden, ChatError(.forbidden, "setup is done: sign in instead"), back: "/login")
        }
        return await createAccount(Self.form(request), role: .admin, reply: reply, back: "/setup")
    }

    private func register(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        guard openRegistration else {
            return reply.failure(
                .forbidden, ChatError(.forbidden, "registration is closed: ask the gym for an account"), back: "/login")
        }
        let address = request.client.address
        let budget = request.client.limitKey
        let retryAfter = registrations.withLockedValue { limiter -> Int? in
            let now = SystemClock().monotonicMicros()
            return limiter.allow(budget, now: now) ? nil : max(1, limiter.retryAfter(budget, now: now))
        }
        if let retryAfter {
            logger.warning("registration throttled", metadata: ["remote": "\(address)"])
            return reply.failure(
                .tooManyRequests, ChatError(.rateLimited, "too many new accounts from your address; try again later"),
                back: "/register?error=rate_limited", retryAfter: retryAfter)
        }
        return await createAccount(Self.form(request), role: .member, reply: reply, back: "/register")
    }

    /// A full disk: 507 `storage_full` (the daemon's storage watch has logged it once already).
    static func diskFull(_ error: Error, reply: Reply, back: String) -> HTTPResponse? {
        guard case RepositoryError.storageFull = error else { return nil }
        return reply.failure(.insufficientStorage, .storageFull, back: back)
    }

    /// A store failure: logged at error level, answered 500 `internal_error` (507 `storage_full`
    /// when the disk is full).
    func storageFailure(
        _ error: Error, doing what: String, reply: Reply, back: String, metadata: Logger.Metadata = [:]
    ) -> HTTPResponse {
        if let full = Self.diskFull(error, reply: reply, back: back) { return full }
        logger.error(
            "\(what) failed: the store failed",
            metadata: metadata.merging(["error": "\(SafeText.forLog("\(error)", limit: 300))"]) { $1 })
        return reply.failure(
            .internalServerError, ChatError(.internalError, "the server could not complete that; try again"), back: back
        )
    }

    private func me(_ request: HTTPRequest) async -> HTTPResponse {
        let reply = Reply(json: true)
        let identified: (User, Authenticator.Credential)?
        do {
            identified =
                try await (Self.bearer(request) ?? Authenticator.sessionToken(in: request.headers))
                .asyncMap { try await authenticator.authenticate(token: $0) } ?? nil
        } catch {
            return storageFailure(error, doing: "/api/me", reply: reply, back: "/login")
        }
        guard let (user, _) = identified else {
            return reply.failure(.unauthorized, ChatError(.unauthorized, "not signed in"), back: "/login")
        }
        // The role too: the chat page links admins to /admin.
        return reply.success(["user": ChatJSON.user(user), "role": .string(user.role.name)], redirect: "/chat")
    }

    private func createAccount(_ form: [String: String], role: UserRole, reply: Reply, back: String) async
        -> HTTPResponse
    {
        let name = form["username"] ?? ""
        let password = form["password"] ?? ""
        let displayName = (form["display_name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard Names.isValidUserName(name) else {
            return reply.failure(
                .badRequest, ChatError(.invalidRequest, NameError.invalidUserName(name).description), back: back)
        }
        if case .failure(let error) = DisplayName.validate(displayName) {
            return reply.failure(.badRequest, error, back: back)
        }
        if case .failure(let error) = PasswordRules.validate(password) {
            return reply.failure(.badRequest, error, back: back)
        }
        do {
            // Taken names are refused before the expensive hash.
            guard try store.user(named: name) == nil else { throw RepositoryError.userExists(name) }
            let hash = try await passwordWork.run { try PasswordHasher().hash(password) }
            let user = try await store.createUser(
                name: name, displayName: displayName.isEmpty ? name : displayName,
                role: role, passwordHash: hash)
            logger.notice("account created", metadata: ["user": "\(name)", "role": "\(role)"])
            return await signedIn(user, reply)
        } catch RepositoryError.userExists {
            return reply.failure(.conflict, ChatError(.invalidRequest, "that user name is taken"), back: back)
        } catch RepositoryError.displayNameTaken {
            return reply.failure(
                .conflict,
                ChatError(.invalidRequest, "that display name is another member's user name; choose another"),
                back: back)
        } catch is PasswordWork.Busy {
            return reply.failure(
                .serviceUnavailable, ChatError(.rateLimited, "the server is busy; try again in a moment"), back: back,
                retryAfter: 1)
        } catch {
            if let full = Self.diskFull(error, reply: reply, back: back) { return full }
            logger.error("account creation failed", metadata: ["error": "\(SafeText.forLog("\(error)", limit: 300))"])
            return reply.failure(
                .internalServerError, ChatError(.internalError, "could not create the account"), back: back)
        }
    }

    /// A new session for `user`, as a cookie (and, for JSON callers, in the answer): every way in ends here.
    /// Starts a session for `user` and answers with its cookie and token. `event` is logged once
    /// the session is stored (a sign-in that failed to save is no sign-in); a failure is logged as such.
    func signedIn(_ user: User, _ reply: Reply, logging event: String? = nil, _ metadata: Logger.Metadata = [:])
        async -> HTTPResponse
    {
        let token = SessionTokens.generate()
        do {
            try await store.createSession(
                Session(
                    tokenHash: SessionTokens.hash(token), userID: user.id,
                    expiresAt: SessionTokens.expiry(from: SystemClock().wallMicros())))
        } catch {
            return storageFailure(
                error, doing: "starting a session for \(user.name)", reply: reply, back: "/login", metadata: metadata)
        }
        if let event { logger.notice("\(event)", metadata: metadata) }
        var response = reply.success(["user": ChatJSON.user(user), "token": .string(token)], redirect: "/chat")
        response.headers.add(
            name: "Set-Cookie",
            value:
                "\(Authenticator.sessionCookie)=\(token)\(reply.cookieAttributes); Max-Age=\(SessionTokens.lifetime / 1_000_000)"
        )
        return response
    }

    // MARK: Request helpers

    static func wantsJSON(_ request: HTTPRequest) -> Bool {
        let type = request.headers.first(name: "Content-Type")?.lowercased() ?? ""
        let accept = request.headers.first(name: "Accept")?.lowercased() ?? ""
        return type.hasPrefix("application/json")
            || (accept.contains("application/json") && !accept.contains("text/html"))
    }

    /// Form fields from an urlencoded or JSON body.
    static func form(_ request: HTTPRequest) -> [String: String] {
        guard let body = request.body else { return [:] }
        let text = String(buffer: body)
        if (request.headers.first(name: "Content-Type") ?? "").lowercased().hasPrefix("application/json") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                return [:]
            }
            return object.compactMapValues { $0 as? String }
        }
        return URLEncodedForm.decode(Substring(text))
    }

    static func bearer(_ request: HTTPRequest) -> String? {
        guard let value = request.headers.first(name: "Authorization"), value.lowercased().hasPrefix("bearer ") else {
            return nil
        }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}
