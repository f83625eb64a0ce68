import Accounts
import Administration
import ChatModel
import ChatService
import HTTPServer
import NIOHTTP1
import SocketIOProtocol

/// How an admin action or an invite's use failed, as the pages and JSON callers see it: an HTTP
/// status, a `ChatError` (code and sentence) and, for invites and sign-in links, the link's state
/// (`expired`, `used_up`, `revoked`, `not_found`) as `error.reason`, which the join page shows.
struct AdminFailure: Error {
    var status: HTTPResponseStatus
    var error: ChatError
    var reason: String?
    /// Not the caller's fault: logged at error level.
    var internalFailure = false
    /// What went wrong inside, for the log (never sent to the caller).
    var underlying: String?

    init(_ status: HTTPResponseStatus, _ code: ChatErrorCode, _ message: String, reason: String? = nil) {
        self.status = status
        self.error = ChatError(code, message)
        self.reason = reason
    }

    /// Every error the admin operations throw, mapped; anything unknown is a 500.
    init(_ failure: Error) {
        switch failure {
        case let known as AdminFailure:
            self = known
        case let error as ChatError:
            self.init(.badRequest, error.code, error.message)
        case let error as NameError:
            self.init(.badRequest, .invalidRequest, error.description)
        case RepositoryError.userExists:
            self.init(.conflict, .invalidRequest, "that user name is taken")
        case RepositoryError.roomExists(let name):
            self.init(.conflict, .invalidRequest, "a room named '\(name)' exists already")
        case RepositoryError.displayNameTaken:
            self.init(.conflict, .invalidRequest, "that display name is another member's user name; choose another")
        case RepositoryError.userNotFound(let name):
            self.init(.notFound, .invalidRequest, "no user named '\(SafeText.forLog(name))'")
        case RepositoryError.roomNotFound(let name):
            self.init(.notFound, .roomNotFound, "no room named '\(SafeText.forLog(name))'")
        case let error as InviteError:
            switch error {
            case .unknown: self.init(.notFound, .forbidden, error.description, reason: "not_found")
            case .notFound: self.init(.notFound, .invalidRequest, error.description)
            case .expired: self.init(.gone, .forbidden, error.description, reason: "expired")
            case .usedUp: self.init(.gone, .forbidden, error.description, reason: "used_up")
            case .revoked: self.init(.gone, .forbidden, error.description, reason: "revoked")
            }
        case let error as SignInLinkError:
            switch error {
            case .unknown: self.init(.notFound, .forbidden, error.description, reason: "not_found")
            case .expired: self.init(.gone, .forbidden, error.description, reason: "expired")
            case .used: self.init(.gone, .forbidden, error.description, reason: "used_up")
            case .userDisabled: self.init(.forbidden, .forbidden, error.description, reason: "revoked")
            }
        case AdminError.lastAdmin:
            self.init(.conflict, .forbidden, "\(failure)")
        case let error as AdminError:
            self.init(.badRequest, .invalidRequest, error.description)
        case is PasswordWork.Busy:
            self.init(.serviceUnavailable, .rateLimited, "the server is busy; try again in a moment")
        default:
            self.init(.internalServerError, .internalError, "the server could not complete that; try again")
            internalFailure = true
            underlying = "\(failure)"
        }
    }

    var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("code", .string(error.code.rawValue)), ("message", .string(error.message)),
        ]
        if let reason { fields.append(("reason", .string(reason))) }
        return ["ok": false, "error": .object(fields)]
    }

    /// JSON, or for a form a redirect back with `?error=CODE` (the page says why).
    func response(_ reply: Reply, back: String) -> HTTPResponse {
        var response: HTTPResponse
        if reply.json {
            response = Reply.json(status, json)
        } else {
            response = Reply.redirect(back + "?error=\(reason ?? error.code.rawValue)")
        }
        if status == .serviceUnavailable || status == .tooManyRequests {
            response.headers.add(name: "Retry-After", value: "1")
        }
        return response
    }
}
