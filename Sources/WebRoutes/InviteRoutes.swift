import Accounts
import Administration
import ChatModel
import ChatService
import ChatStore
import HTTPServer
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1
import SocketIOProtocol

/// Invitations and one-time sign-in links, the two ways into the chat that need no shell:
/// `/join/CODE` lets a person pick a user name, display name and password; `/welcome/CODE` lets
/// one existing user set a password. The pages ask `GET /api/join/CODE` and `/api/welcome/CODE`
/// whether the link still works; `POST /join/CODE` and `/welcome/CODE` (forms or JSON) create the
/// account or set the password through `AdminOperations` and sign in exactly as `/login` does.
public final class InviteRoutes: Sendable {
    let operations: AdminOperations
    let accounts: AccountRoutes
    let files: StaticFiles
    let logger: Logger
    /// Uses of invites and sign-in links per address. A whole class may join from the gym's one
    /// address in a few minutes, so the burst is large; codes are 256 random bits, so guessing is
    /// hopeless anyway, and the password work is bounded by `PasswordWork`.
    private let attempts = NIOLockedValueBox(RateLimiter<String>(burst: 60, rate: 1.0 / 3))

    public init(operations: AdminOperations, accounts: AccountRoutes, files: StaticFiles, logger: Logger) {
        self.operations = operations
        self.accounts = accounts
        self.files = files
        self.logger = logger
    }

    public func install(on http: HTTPServer) {
        http.route(.GET, "/join/", prefix: true) { [self] request in page("/join.html", request) }
        http.route(.GET, "/welcome/", prefix: true) { [self] request in page("/welcome.html", request) }
        http.route(.GET, "/api/join/", prefix: true) { [self] request in
            Self.exact(request, segments: 3) ?? inviteState(request)
        }
        http.route(.GET, "/api/welcome/", prefix: true) { [self] request in
            Self.exact(request, segments: 3) ?? signInLinkState(request)
        }
        http.route(.POST, "/join/", prefix: true) { [self] in
            await accounts.guarded($0) { request, reply in
                if let missing = Self.exact(request, segments: 2, reply: reply) { return missing }
                return await join(request, reply)
            }
        }
        http.route(.POST, "/welcome/", prefix: true) { [self] in
            await accounts.guarded($0) { request, reply in
                if let missing = Self.exact(request, segments: 2, reply: reply) { return missing }
                return await welcome(request, reply)
            }
        }
    }

    /// The code is the last path segment: `/join/CODE`, `/api/join/CODE`.
    static func code(_ request: HTTPRequest) -> String {
        request.path.split(separator: "/").last.map(String.init) ?? ""
    }

    /// A 404 unless the path is exactly `segments` non-empty segments (`/join/CODE` is 2,
    /// `/api/join/CODE` 3): `/join/a/b/CODE` is no invitation.
    static func exact(_ request: HTTPRequest, segments: Int, reply: Reply = Reply(json: true)) -> HTTPResponse? {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if parts.count == segments, !parts.contains(where: \.isEmpty) { return nil }
        guard reply.json else { return .text(.notFound, "not found\n") }
        return Reply.json(.notFound, AdminFailure(.notFound, .notFound, "no such page").json)
    }

    /// The fields of a join or welcome post: a form, or a JSON object of strings (a wrong type or
    /// a broken body is a 400 saying so, not an empty name).
    static func fields(_ request: HTTPRequest, allowed: Set<String>) throws -> [String: String] {
        let type = (request.headers.first(name: "Content-Type") ?? "").lowercased()
        guard type.hasPrefix("application/json") else { return AccountRoutes.form(request) }
        let body = try AdminRoutes.Body(request, allowed: allowed)
        var fields: [String: String] = [:]
        for key in body.fields.keys {
            if let value = try body.string(key) { fields[key] = value }
        }
        return fields
    }

    private func page(_ file: String, _ request: HTTPRequest) -> HTTPResponse {
        // Only `/join/CODE`: deeper paths are not pages.
        guard Self.exact(request, segments: 2, reply: Reply(json: false)) == nil else {
            return .text(.notFound, "not found\n")
        }
        var response = files.response(for: file, request: request) ?? .text(.notFound, "not found\n")
        // The code is in the URL: never send it to anyone else.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    // MARK: State (for the pages)

    private func inviteState(_ request: HTTPRequest) -> HTTPResponse {
        do {
            guard let invite = try operations.invite(code: Self.code(request)) else { throw InviteError.unknown }
            var fields: [(String, JSONValue)] = [
                ("ok", true), ("state", .string(invite.state(at: operations.now).rawValue)),
                ("role", .string(invite.role.name)),
            ]
            if let expiresAt = invite.expiresAt { fields.append(("expires_at", ChatJSON.time(expiresAt))) }
            if let left = invite.usesLeft { fields.append(("uses_left", .int(Int64(left)))) }
            return Reply.json(.ok, .object(fields))
        } catch {
            return answer(AdminFailure(error), reply: Reply(json: true), back: "/")
        }
    }

    private func signInLinkState(_ request: HTTPRequest) -> HTTPResponse {
        do {
            guard let link = try operations.signInLink(code: Self.code(request)) else { throw SignInLinkError.unknown }
            var state = link.state(at: operations.now).rawValue
            if state == SignInLinkState.used.rawValue { state = "used_up" }
            var fields: [(String, JSONValue)] = [
                ("ok", true), ("state", .string(state)), ("expires_at", ChatJSON.time(link.expiresAt)),
            ]
            // Whose account it opens, so the person knows the name to sign in with later.
            if state == "valid", let user = try operations.store.user(id: link.userID) {
                if user.disabled { throw SignInLinkError.userDisabled }
                fields.append(("user", ChatJSON.user(user)))
            }
            return Reply.json(.ok, .object(fields))
        } catch {
            return answer(AdminFailure(error), reply: Reply(json: true), back: "/")
        }
    }

    // MARK: Using them

    private func join(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        let back = request.path
        if let refusal = throttled(request, reply, back: back) { return refusal }
        let form: [String: String]
        do {
            form = try Self.fields(request, allowed: ["username", "display_name", "password", "password_confirm"])
        } catch {
            return answer(AdminFailure(error), reply: reply, back: back)
        }
        let password = form["password"] ?? ""
        if let confirm = form["password_confirm"], confirm != password {
            return AdminFailure(.badRequest, .invalidRequest, "the two passwords differ").response(reply, back: back)
        }
        let displayName = form["display_name"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        do {
            let user = try await operations.redeemInvite(
                code: Self.code(request), userName: form["username"] ?? "",
                displayName: displayName?.isEmpty == false ? displayName : nil,
                password: password)
            logger.notice(
                "account created from an invite", metadata: ["user": "\(user.name)", "role": "\(user.role.name)"])
            return await accounts.signedIn(user, reply)
        } catch {
            return answer(AdminFailure(error), reply: reply, back: back)
        }
    }

    private func welcome(_ request: HTTPRequest, _ reply: Reply) async -> HTTPResponse {
        let back = request.path
        if let refusal = throttled(request, reply, back: back) { return refusal }
        let form: [String: String]
        do {
            form = try Self.fields(request, allowed: ["password", "password_confirm"])
        } catch {
            return answer(AdminFailure(error), reply: reply, back: back)
        }
        let password = form["password"] ?? ""
        if let confirm = form["password_confirm"], confirm != password {
            return AdminFailure(.badRequest, .invalidRequest, "the two passwords differ").response(reply, back: back)
        }
        do {
            // A disabled account stays out, link or not.
            if let link = try operations.signInLink(code: Self.code(request)),
                let user = try operations.store.user(id: link.userID),
                user.disabled
            {
                throw SignInLinkError.userDisabled
            }
            let user = try await operations.redeemSignInLink(code: Self.code(request), password: password)
            logger.notice("password set with a sign-in link", metadata: ["user": "\(user.name)"])
            return await accounts.signedIn(user, reply)
        } catch {
            return answer(AdminFailure(error), reply: reply, back: back)
        }
    }

    private func throttled(_ request: HTTPRequest, _ reply: Reply, back: String) -> HTTPResponse? {
        let address = request.client.address
        let budget = request.client.limitKey
        let retryAfter = attempts.withLockedValue { limiter -> Int? in
            let now = SystemClock().monotonicMicros()
            return limiter.allow(budget, now: now) ? nil : max(1, limiter.retryAfter(budget, now: now))
        }
        guard let retryAfter else { return nil }
        logger.warning("invite or sign-in link use throttled", metadata: ["remote": "\(address)"])
        var response = AdminFailure(.tooManyRequests, .rateLimited, Self.throttledMessage(retryAfter: retryAfter))
            .response(reply, back: back)
        response.headers.replaceOrAdd(name: "Retry-After", value: "\(retryAfter)")
        return response
    }

    /// What a throttled caller is told: the same wait as its `Retry-After`.
    static func throttledMessage(retryAfter seconds: Int) -> String {
        "too many attempts from your address; try again in \(seconds) second\(seconds == 1 ? "" : "s")"
    }

    private func answer(_ failure: AdminFailure, reply: Reply, back: String) -> HTTPResponse {
        if failure.internalFailure {
            logger.error(
                "invite or sign-in link failed",
                metadata: ["error": "\(SafeText.forLog(failure.underlying ?? failure.message, limit: 300))"])
        }
        return failure.response(reply, back: back)
    }
}
