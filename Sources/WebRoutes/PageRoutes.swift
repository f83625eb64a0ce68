import Accounts
import ChatStore
import HTTPServer
import NIOCore
import NIOHTTP1

/// The pages: `/` → `/chat`; `/chat` needs a session (else 303 to `/login`); `/login`; `/setup`
/// only while no user exists; `/static/…` assets.
public enum PageRoutes {
    public static func install(
        on http: HTTPServer, files: StaticFiles, store: ChatStore, authenticator: Authenticator, openRegistration: Bool
    ) {
        http.route(.GET, "/") { _ in Reply.redirect("/chat") }
        http.route(.GET, "/chat") { request in
            do {
                let signedIn =
                    try await Authenticator.sessionToken(in: request.headers)
                    .asyncMap { try await authenticator.authenticate(token: $0) } ?? nil
                if signedIn == nil { return Reply.redirect(try store.userCount() == 0 ? "/setup" : "/login") }
            } catch {
                return storeFailed
            }
            return files.response(for: "/chat.html", request: request) ?? .text(.internalServerError, "page missing\n")
        }
        http.route(.GET, "/login") { request in
            if noUsers(store) { return Reply.redirect("/setup") }
            return files.response(for: "/login.html", request: request) ?? .text(.notFound, "not found\n")
        }
        http.route(.GET, "/setup") { request in
            guard noUsers(store) else { return Reply.redirect("/login") }
            return files.response(for: "/setup.html", request: request) ?? .text(.notFound, "not found\n")
        }
        http.route(.GET, "/register") { request in
            guard openRegistration else { return Reply.redirect("/login?error=registration_closed") }
            return files.response(for: "/register.html", request: request) ?? .text(.notFound, "not found\n")
        }
        http.route(.GET, "/api/config") { _ in
            Reply.json(.ok, ["ok": true, "open_registration": .bool(openRegistration)])
        }
        for method in [HTTPMethod.GET, .HEAD] {
            http.route(method, "/static/", prefix: true) { request in
                files.response(for: request.path, request: request) ?? .text(.notFound, "not found\n")
            }
        }
        http.route(.GET, "/favicon.ico") { request in
            files.response(for: "/static/favicon.svg", request: request) ?? .text(.notFound, "not found\n")
        }
    }

    /// A failing store fails closed here: no setup page, the sign-in page instead.
    static func noUsers(_ store: ChatStore) -> Bool { (try? store.userCount()) == 0 }

    static let storeFailed = HTTPResponse.text(
        .internalServerError, "fitchat cannot read its store right now; try again in a moment (the journal says why)\n")
}
