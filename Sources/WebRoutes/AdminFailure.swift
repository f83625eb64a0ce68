import Accounts
import Administration
import ChatModel
import ChatService
import HTTPServer
import NIOHTTP1
import SocketIOProtocol

/// The codes of the admin and join HTTP API (`error.code`): each says what happened and agrees
/// with the status. They are not the Socket.IO event contract's `ChatErrorCode`s, though the
/// names both share (`invalid_request`, `forbidden`, …) mean the same.
struct APIErrorCode: RawRepresentable, Hashable, Sendable {
    var rawValue: String
    init(rawValue: String) { self.rawValue = rawValue }
    init(_ code: ChatErrorCode) { rawValue = code.rawValue }

    static let invalidRequest = Self(.invalidRequest)
    static let unauthorized = Self(.unauthorized)
    static let forbidden = Self(.forbidden)
    static let rateLimited = Self(.rateLimited)
    static let internalError = Self(.internalError)
    static let notFound = Self(rawValue: "not_found")
    static let nameTaken = Self(rawValue: "name_taken")
    static let lastAdmin = Self(rawValue: "last_admin")
    static let inviteExpired = Self(rawValue: "invite_expired")
    static let inviteUsedUp = Self(rawValue: "invite_used_up")
    static let inviteRevoked = Self(rawValue: "invite_revoked")
    static let linkExpired = Self(rawValue: "link_expired")
    static let linkUsedUp = Self(rawValue: "link_used_up")
    static let accountDisabled = Self(rawValue: "account_disabled")
    static let busy = Self(rawValue: "busy")
    static let storageFull = Self(.storageFull)
}

/// How an admin action or an invite's use failed, as the pages and JSON callers see it: an HTTP
/// status, an `APIErrorCode` and a sentence and, for invites and sign-in links, the link's state
/// (`expired`, `used_up`, `revoked`, `not_found`) as `error.reason`, which the join page shows.
struct AdminFailure: Error {
    var status: HTTPResponseStatus
    var code: APIErrorCode
    var message: String
    var reason: String?
    /// Not the caller's fault: logged at error level.
    var internalFailure = false
    /// What went wrong inside, for the log (never sent to the caller).
    var underlying: String?

    init(_ status: HTTPResponseStatus, _ code: APIErrorCode, _ message: String, reason: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason
    }

    /// A 400 `invalid_request`: what is wrong with the request.
    static func invalid(_ message: String) -> AdminFailure { AdminFailure(.badRequest, .invalidRequest, message) }

    /// Every error the admin operations throw, mapped; anything unknown is a 500.
    init(_ failure: Error) {
        switch failure {
        case let known as AdminFailure:
            self = known
        case let error as ChatError:
            switch error.code {
            case .roomNotFound: self.init(.notFound, .notFound, error.message)
            case .forbidden: self.init(.forbidden, .forbidden, error.message)
            case .unauthorized: self.init(.unauthorized, .unauthorized, error.message)
            case .rateLimited: self.init(.tooManyRequests, .rateLimited, error.message)
            case .internalError: self.init(.internalServerError, .internalError, error.message)
            case .storageFull: self.init(.insufficientStorage, .storageFull, error.message)
            default: self.init(.badRequest, APIErrorCode(error.code), error.message)
            }
        case let error as NameError:
            self.init(.badRequest, .invalidRequest, error.description)
        case RepositoryError.userExists:
            self.init(.conflict, .nameTaken, "that user name is taken")
        case RepositoryError.roomExists(let name):
            self.init(.conflict, .nameTaken, "a room named '\(name)' exists already")
        case RepositoryError.displayNameTaken:
            self.init(.conflict, .nameTaken, "that display name is another member's user name; choose another")
        case RepositoryError.userNotFound(let name):
            self.init(.notFound, .notFound, "no user named '\(SafeText.forLog(name))'")
        case RepositoryError.roomNotFound(let name):
            self.init(.notFound, .notFound, "no room named '\(SafeText.forLog(name))'")
        case let error as InviteError:
            switch error {
            case .unknown: self.init(.notFound, .notFound, error.description, reason: "not_found")
            case .notFound: self.init(.notFound, .notFound, error.description)
            case .expired: self.init(.gone, .inviteExpired, error.description, reason: "expired")
            case .usedUp: self.init(.gone, .inviteUsedUp, error.description, reason: "used_up")
            case .revoked: self.init(.gone, .inviteRevoked, error.description, reason: "revoked")
            }
        case let error as SignInLinkError:
            switch error {
            case .unknown: self.init(.notFound, .notFound, error.description, reason: "not_found")
            case .expired: self.init(.gone, .linkExpired, error.description, reason: "expired")
            case .used: self.init(.gone, .linkUsedUp, error.description, reason: "used_up")
            case .userDisabled: self.init(.forbidden, .accountDisabled, error.description, reason: "revoked")
            }
        case AdminError.lastAdmin:
            self.init(.conflict, .lastAdmin, "\(failure)")
        case let error as AdminError:
            self.init(.badRequest, .invalidRequest, error.description)
        case is PasswordWork.Busy:
            self.init(.serviceUnavailable, .busy, "the server is busy; try again in a moment")
        case RepositoryError.storageFull:
            self.init(.insufficientStorage, .storageFull, ChatError.storageFull.message)
        default:
            self.init(.internalServerError, .internalError, "the server could not complete that; try again")
            internalFailure = true
            underlying = "\(failure)"
        }
    }

    var json: JSONValue {
        var fields: [(String, JSONValue)] = [("code", .string(code.rawValue)), ("message", .string(message))]
        if let reason { fields.append(("reason", .string(reason))) }
        return ["ok": false, "error": .object(fields)]
    }

    /// JSON, or for a form a redirect back with `?error=CODE` (the page says why).
    func response(_ reply: Reply, back: String) -> HTTPResponse {
        var response: HTTPResponse
        if reply.json {
            response = Reply.json(status, json)
        } else {
            response = Reply.redirect(back + "?error=\(reason ?? code.rawValue)")
        }
        if status == .serviceUnavailable || status == .tooManyRequests {
            response.headers.add(name: "Retry-After", value: "1")
        }
        return response
    }
}
