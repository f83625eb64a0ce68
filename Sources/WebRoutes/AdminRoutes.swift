import Accounts
import Administration
import ChatModel
import ChatService
import Configuration
import Foundation
import HTTPServer
import Logging
import NIOHTTP1
import QRCode
import SocketIOProtocol

/// `/admin` and its JSON API under `/api/admin/`, for the `admin` role only: not signed in → 303
/// to `/login` (page) or 401 (API); signed in but not an admin → 403. State-changing calls (POST)
/// must come from the server's own origin, like the account forms. Every action goes through
/// `AdminOperations`, whose notify applies it to the connected clients at once. A POST with fields
/// takes one JSON object (`Content-Type: application/json`) read strictly by `Body`; one without
/// takes no body or `{}`. Failures answer the HTTP API's codes (`APIErrorCode`).
///
///     GET  /api/admin/status                       the store: size, counts, schema, last backup
///     GET  /api/admin/users[?q=TEXT]               members (search by name or display name)
///     POST /api/admin/users                        {username, display_name?, role?} → user + one-time sign-in link + QR
///     POST /api/admin/users/NAME/set               {display_name?, role?}
///     POST /api/admin/users/NAME/disable | enable
///     POST /api/admin/users/NAME/reset             → one-time sign-in link + QR (sets a new password)
///     GET  /api/admin/invites
///     POST /api/admin/invites                      {uses?: N|null, expires?: "7d"|"never", role?} → invite + link + QR
///     POST /api/admin/invites/ID/revoke
///     GET  /api/admin/rooms                        rooms, archived ones too, with the members of private ones
///     POST /api/admin/rooms                        {name, description?, private?}
///     POST /api/admin/rooms/NAME/archive | unarchive
///     POST /api/admin/rooms/NAME/description       {description}
///     GET  /api/admin/rooms/NAME/members
///     POST /api/admin/rooms/NAME/members           {user}
///     POST /api/admin/rooms/NAME/members/USER/remove
///     POST /api/admin/rooms/NAME/notice            {text} → the stored system message
public final class AdminRoutes: Sendable {
    let operations: AdminOperations
    let authenticator: Authenticator
    let originPolicy: OriginPolicy
    let files: StaticFiles
    let settings: Settings
    let logger: Logger

    public init(
        operations: AdminOperations, authenticator: Authenticator, originPolicy: OriginPolicy, files: StaticFiles,
        settings: Settings, logger: Logger
    ) {
        self.operations = operations
        self.authenticator = authenticator
        self.originPolicy = originPolicy
        self.files = files
        self.settings = settings
        self.logger = logger
    }

    public func install(on http: HTTPServer) {
        http.route(.GET, "/admin") { [self] request in await page(request) }
        for method in [HTTPMethod.GET, .POST] {
            http.route(method, "/api/admin/", prefix: true) { [self] request in await api(request) }
        }
    }

    // MARK: Who may

    enum Access {
        case admin(User)
        case signedOut
        case notAdmin
        case failed(Error)
    }

    private func access(_ request: HTTPRequest) async -> Access {
        guard let token = AccountRoutes.bearer(request) ?? Authenticator.sessionToken(in: request.headers) else {
            return .signedOut
        }
        do {
            guard let (user, _) = try await authenticator.authenticate(token: token) else { return .signedOut }
            return user.role == .admin && !user.disabled ? .admin(user) : .notAdmin
        } catch {
            return .failed(error)
        }
    }

    private func page(_ request: HTTPRequest) async -> HTTPResponse {
        switch await access(request) {
        case .admin:
            return files.response(for: "/admin.html", request: request) ?? .text(.notFound, "not found\n")
        case .signedOut:
            return Reply.redirect("/login")
        case .notAdmin:
            var response = HTTPResponse.text(.forbidden, "403: the admin page is for the gym's administrators only.\n")
            for header in StaticFiles.securityHeaders() {
                response.headers.replaceOrAdd(name: header.name, value: header.value)
            }
            return response
        case .failed:
            return PageRoutes.storeFailed
        }
    }

    private func api(_ request: HTTPRequest) async -> HTTPResponse {
        let admin: User
        switch await access(request) {
        case .admin(let user): admin = user
        case .signedOut: return Self.failure(AdminFailure(.unauthorized, .unauthorized, "not signed in"))
        case .notAdmin: return Self.failure(AdminFailure(.forbidden, .forbidden, "only admins may do that"))
        case .failed(let error): return failed(error, request)
        }
        if request.method == .POST, !originPolicy.allows(request.headers, client: request.client) {
            return Self.failure(AdminFailure(.forbidden, .forbidden, "cross-site request refused"))
        }
        let path = request.path.dropFirst("/api/admin/".count).split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).removingPercentEncoding ?? String($0) }
        do {
            let answer = try await route(request.method, path, request: request, admin: admin)
            if request.method == .POST {
                logger.notice(
                    "admin action",
                    metadata: ["user": "\(admin.name)", "action": "\(SafeText.forLog(request.path, limit: 120))"])
            }
            return Reply.json(.ok, .object([("ok", true)] + answer))
        } catch {
            return failed(error, request)
        }
    }

    private func failed(_ error: Error, _ request: HTTPRequest) -> HTTPResponse {
        let failure = AdminFailure(error)
        if failure.internalFailure {
            logger.error(
                "admin action failed",
                metadata: [
                    "action": "\(SafeText.forLog(request.path, limit: 120))",
                    "error": "\(SafeText.forLog("\(error)", limit: 300))",
                ])
        }
        return Self.failure(failure)
    }

    static func failure(_ failure: AdminFailure) -> HTTPResponse { Reply.json(failure.status, failure.json) }

    static let notFound = AdminFailure(.notFound, .notFound, "no such admin action")

    // MARK: The API

    private func route(_ method: HTTPMethod, _ path: [String], request: HTTPRequest, admin: User)
        async throws
        -> [(String, JSONValue)]
    {
        switch (method, path.first ?? "") {
        case (.GET, "status") where path.count == 1:
            return status()
        case (_, "users"):
            return try await users(method, Array(path.dropFirst()), request: request)
        case (_, "invites"):
            return try await invites(method, Array(path.dropFirst()), request: request, admin: admin)
        case (_, "rooms"):
            return try await rooms(method, Array(path.dropFirst()), request: request, admin: admin)
        default:
            throw Self.notFound
        }
    }

    private func status() -> [(String, JSONValue)] {
        guard let status = try? operations.status() else { return [("status", .null), ("facts", .array([]))] }
        let backup = status.lastBackupAt.map { ISO8601.format(micros: $0) } ?? "never"
        let facts: [(String, String)] = [
            ("Store size", Self.bytes(status.storeBytes)), ("Members", "\(status.users)"), ("Rooms", "\(status.rooms)"),
            ("Messages", "\(status.messages)"), ("Schema version", "\(status.schemaVersion)"), ("Last backup", backup),
        ]
        return [
            (
                "status",
                [
                    "store_bytes": .int(Int64(status.storeBytes)), "users": .int(Int64(status.users)),
                    "rooms": .int(Int64(status.rooms)),
                    "messages": .int(Int64(status.messages)), "schema_version": .int(Int64(status.schemaVersion)),
                    "last_backup_at": status.lastBackupAt.map { ChatJSON.time($0) } ?? .null,
                ]
            ),
            ("facts", .array(facts.map { .array([.string($0.0), .string($0.1)]) })),
        ]
    }

    private func users(_ method: HTTPMethod, _ path: [String], request: HTTPRequest) async throws -> [(
        String, JSONValue
    )] {
        switch (method, path.count) {
        case (.GET, 0):
            return [("users", .array(try operations.users(matching: request.query["q"]).map(Self.user)))]
        case (.POST, 0):
            let body = try Body(request, allowed: ["username", "display_name", "role"], required: ["username"])
            let user = try await operations.addUser(
                name: try body.string("username") ?? "", displayName: try body.string("display_name"),
                role: try body.role() ?? .member, password: nil)
            return [("user", Self.user(user))] + (try await signInLink(for: user.name, request: request))
        case (.POST, 2):
            let name = path[0]
            switch path[1] {
            case "set":
                let body = try Body(request, allowed: ["display_name", "role"])
                let (displayName, role) = (try body.string("display_name"), try body.role())
                guard displayName != nil || role != nil else {
                    throw AdminFailure.invalid("nothing to change: give 'display_name' or 'role'")
                }
                let user = try await operations.setUser(name: name, displayName: displayName, role: role)
                return [("user", Self.user(user))]
            case "disable":
                try Body.none(request)
                try await operations.disableUser(name: name)
            case "enable":
                try Body.none(request)
                try await operations.enableUser(name: name)
            case "reset":
                try Body.none(request)
                return try await signInLink(for: name, request: request)
            default:
                throw Self.notFound
            }
            guard let user = try operations.user(named: name) else { throw RepositoryError.userNotFound(name) }
            return [("user", Self.user(user))]
        default:
            throw Self.notFound
        }
    }

    private func signInLink(for name: String, request: HTTPRequest) async throws -> [(String, JSONValue)] {
        let (link, code) = try await operations.signInLink(forUser: name)
        let url = self.link("/welcome/\(code)", request: request)
        return [
            ("link", .string(url)), ("expires_at", ChatJSON.time(link.expiresAt)),
            ("qr_svg", .string(try QRCode(url).svg(label: "QR code of the sign-in link for \(name)"))),
        ]
    }

    private func invites(_ method: HTTPMethod, _ path: [String], request: HTTPRequest, admin: User)
        async throws
        -> [(String, JSONValue)]
    {
        let now = operations.now
        switch (method, path.count) {
        case (.GET, 0):
            return [("invites", .array(try operations.invites().map { Self.invite($0, now: now) }))]
        case (.POST, 0):
            let body = try Body(request, allowed: ["uses", "expires", "role"])
            let uses = try body.int("uses")
            let lifetime = try Lifetime.parse(try body.string("expires") ?? "7d")
            let (invite, code) = try await operations.createInvite(
                uses: uses, expiresIn: lifetime, role: try body.role() ?? .member,
                createdBy: admin.name)
            let url = link("/join/\(code)", request: request)
            return [
                ("invite", Self.invite(invite, now: now)), ("link", .string(url)),
                ("qr_svg", .string(try QRCode(url).svg(label: "QR code of the invitation link"))),
            ]
        case (.POST, 2) where path[1] == "revoke":
            guard let id = InviteID(path[0]) else {
                // All digits but too large for an id: no invite has it.
                if !path[0].isEmpty, path[0].allSatisfy(\.isASCII), path[0].allSatisfy(\.isNumber) {
                    throw AdminFailure(.notFound, .notFound, "no invite with id \(path[0])")
                }
                throw AdminFailure.invalid("'\(SafeText.forLog(path[0], limit: 40))' is not an invite id")
            }
            try Body.none(request)
            return [("invite", Self.invite(try await operations.revokeInvite(id: id), now: now))]
        default:
            throw Self.notFound
        }
    }

    private func rooms(_ method: HTTPMethod, _ path: [String], request: HTTPRequest, admin: User) async throws -> [(
        String, JSONValue
    )] {
        switch (method, path.count) {
        case (.GET, 0):
            return [
                (
                    "rooms",
                    .array(
                        try operations.rooms().map { room in
                            Self.room(room, members: room.isPrivate ? try operations.members(room: room.name) : nil)
                        })
                )
            ]
        case (.POST, 0):
            let body = try Body(request, allowed: ["name", "description", "private"], required: ["name"])
            let room = try await operations.addRoom(
                name: try body.string("name") ?? "", description: try body.string("description") ?? "",
                isPrivate: try body.bool("private") ?? false)
            return [("room", Self.room(room, members: nil))]
        case (.GET, 2) where path[1] == "members":
            return [("members", .array(try operations.members(room: path[0]).map(Self.user)))]
        case (.POST, 2):
            let name = path[0]
            switch path[1] {
            case "archive":
                try Body.none(request)
                return [("room", Self.room(try await operations.archiveRoom(name: name), members: nil))]
            case "unarchive":
                try Body.none(request)
                return [("room", Self.room(try await operations.unarchiveRoom(name: name), members: nil))]
            case "description":
                let body = try Body(request, allowed: ["description"], required: ["description"])
                let room = try await operations.setRoomDescription(
                    name: name, description: try body.string("description") ?? "")
                return [("room", Self.room(room, members: nil))]
            case "members":
                let body = try Body(request, allowed: ["user"], required: ["user"])
                let added = try await operations.addMember(room: name, user: try body.string("user") ?? "")
                return [("added", .bool(added))]
            case "notice":
                let body = try Body(request, allowed: ["text"], required: ["text"])
                let message = try await operations.postNotice(
                    room: name, text: try body.string("text") ?? "", author: admin.name)
                guard let room = try operations.rooms().first(where: { $0.name == name }) else {
                    throw RepositoryError.roomNotFound(name)
                }
                return [("message", ChatJSON.message(message, room: room, user: admin))]
            default:
                throw Self.notFound
            }
        case (.POST, 4) where path[1] == "members" && path[3] == "remove":
            try Body.none(request)
            return [("removed", .bool(try await operations.removeMember(room: path[0], user: path[2])))]
        default:
            throw Self.notFound
        }
    }

    // MARK: Shapes

    static func user(_ user: User) -> JSONValue {
        [
            "id": .int(Int64(user.id)), "name": .string(user.name), "display_name": .string(user.displayName),
            "role": .string(user.role.name), "disabled": .bool(user.disabled),
            "has_password": .bool(user.passwordHash != nil),
            "host_app": .bool(user.hostApp), "created_at": ChatJSON.time(user.createdAt),
        ]
    }

    static func invite(_ invite: Invite, now: Micros) -> JSONValue {
        [
            "id": .int(Int64(invite.id)), "role": .string(invite.role.name),
            "state": .string(invite.state(at: now).rawValue),
            "uses_allowed": invite.usesAllowed.map { .int(Int64($0)) } ?? .null, "uses": .int(Int64(invite.uses)),
            "uses_left": invite.usesLeft.map { .int(Int64($0)) } ?? .null,
            "expires_at": invite.expiresAt.map { ChatJSON.time($0) } ?? .null,
            "created_by": .string(invite.createdBy), "created_at": ChatJSON.time(invite.createdAt),
        ]
    }

    static func room(_ room: Room, members: [User]?) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("id", .int(Int64(room.id))), ("name", .string(room.name)), ("description", .string(room.description)),
            ("is_private", .bool(room.isPrivate)), ("kind", .string(room.kind.rawValue)),
            ("archived", .bool(!room.isActive)),
        ]
        if let members { fields.append(("members", .array(members.map(user)))) }
        return .object(fields)
    }

    static func bytes(_ count: Int) -> String {
        count >= 1 << 20
            ? String(format: "%.1f MB", Double(count) / 1_048_576) : String(format: "%.0f KB", Double(count) / 1024)
    }

    /// The link members open: from `public_url` when it is set; else on the address this admin
    /// reached (its `Host`, already checked against `server_names`), which is what they can reach too;
    /// behind a trusted proxy, the host and scheme it reports (`https` when it says so).
    func link(_ path: String, request: HTTPRequest) -> String {
        if settings.publicURL == nil, let host = request.client.forwardedHost ?? request.headers.first(name: "Host"),
            !host.isEmpty
        {
            return "\(request.client.isHTTPS ? "https" : "http")://\(host)\(path)"
        }
        return settings.link(path: path)
    }

    // MARK: Request bodies

    /// A request's JSON object, read strictly: a POST that takes fields must send
    /// `Content-Type: application/json` and one JSON object holding only the fields it knows, each
    /// of its type, and every field it needs; one that takes none may send no body or `{}`. Anything
    /// else is a 400 `invalid_request` naming what is wrong, never a default.
    struct Body {
        let fields: [String: JSONValue]

        init(fields: [String: JSONValue]) { self.fields = fields }

        /// The body of an action that takes `allowed` fields and needs `required` ones.
        init(_ request: HTTPRequest, allowed: Set<String>, required: Set<String> = []) throws {
            fields = try Self.object(request)
            for key in fields.keys.sorted() where !allowed.contains(key) {
                throw AdminFailure.invalid(
                    "unknown field '\(SafeText.forLog(key, limit: 40))'; this action takes "
                        + allowed.sorted().map { "'\($0)'" }.joined(separator: ", "))
            }
            for key in required.sorted() where fields[key] == nil || fields[key] == .null {
                throw AdminFailure.invalid("'\(key)' is required")
            }
        }

        /// For an action that takes no fields: no body, or an empty JSON object.
        static func none(_ request: HTTPRequest) throws {
            guard let body = request.body, body.readableBytes > 0 else { return }
            if let key = try object(request).keys.sorted().first {
                throw AdminFailure.invalid(
                    "unknown field '\(SafeText.forLog(key, limit: 40))'; this action takes no fields")
            }
        }

        static func object(_ request: HTTPRequest) throws -> [String: JSONValue] {
            let type = request.headers.first(name: "Content-Type") ?? ""
            let mediaType = type.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard mediaType == "application/json" else {
                throw AdminFailure.invalid("the body must be a JSON object sent as Content-Type: application/json")
            }
            guard let body = request.body, body.readableBytes > 0 else {
                throw AdminFailure.invalid("the body must be a JSON object; it is empty")
            }
            let value: JSONValue
            do {
                value = try JSONValue.parse(Substring(String(buffer: body)))
            } catch {
                throw AdminFailure.invalid("the body is not valid JSON")
            }
            guard case .object(let pairs) = value else {
                throw AdminFailure.invalid("the body must be a JSON object")
            }
            var fields: [String: JSONValue] = [:]
            for (key, value) in pairs {
                guard fields.updateValue(value, forKey: key) == nil else {
                    throw AdminFailure.invalid("'\(SafeText.forLog(key, limit: 40))' is given twice")
                }
            }
            return fields
        }

        /// A text field; nil when absent or null.
        func string(_ key: String) throws -> String? {
            switch fields[key] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw AdminFailure.invalid("'\(key)' must be a string")
            }
        }

        func int(_ key: String) throws -> Int? {
            switch fields[key] {
            case nil, .null?: return nil
            case .int(let value)?: if let value = Int(exactly: value) { return value }
            case .double(let value)?: if value == value.rounded(), abs(value) < 1e15 { return Int(value) }
            default: break
            }
            throw AdminFailure.invalid("'\(key)' must be a whole number")
        }

        func bool(_ key: String) throws -> Bool? {
            switch fields[key] {
            case nil, .null?: return nil
            case .bool(let value)?: return value
            default: throw AdminFailure.invalid("'\(key)' must be true or false")
            }
        }

        func role() throws -> UserRole? {
            switch fields["role"] {
            case nil, .null?: return nil
            case .string(let text)?:
                if let role = UserRole(name: text) { return role }
            default: break
            }
            throw AdminFailure.invalid("'role' must be \"member\", \"moderator\" or \"admin\"")
        }
    }
}
