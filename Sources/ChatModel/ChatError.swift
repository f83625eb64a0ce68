/// The error codes of the chat's event contract.
public enum ChatErrorCode: String, Sendable, Equatable, CaseIterable {
    case invalidMessage = "invalid_message"
    case messageTooLong = "message_too_long"
    case roomNotFound = "room_not_found"
    case forbidden
    case notJoined = "not_joined"
    case messageNotFound = "message_not_found"
    case rateLimited = "rate_limited"
    case unauthorized
    case invalidRequest = "invalid_request"
    case internalError = "internal_error"
    /// The caller is muted in the room (issue 16).
    case muted
    /// The caller is banned from the room (issue 16).
    case banned
    /// The disk holding the store is full: nothing was saved (issue 17). Retrying later works once
    /// space is freed; the daemon needs no restart.
    case storageFull = "storage_full"
}

/// A refusal as the client sees it: a code to act on and a sentence to show.
public struct ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ChatErrorCode
    public var message: String

    public init(_ code: ChatErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The name is echoed back cut to 64 characters: a client that sent a megabyte of name gets
    /// an answer of a normal size.
    public static func roomNotFound(_ name: String) -> ChatError {
        .init(.roomNotFound, "no room named '\(name.count > 64 ? name.prefix(64) + "…" : name)'")
    }
    public static let rateLimited = ChatError(.rateLimited, "slow down")
    public static let storageFull = ChatError(
        .storageFull, "the server's disk is full: this was not saved; try again later")
    public static func notJoined(_ name: String) -> ChatError { .init(.notJoined, "join '\(name)' first") }
    public static func messageNotFound(_ id: Int64) -> ChatError {
        .init(.messageNotFound, "no message \(id) in this room")
    }
    public static func forbidden(_ name: String) -> ChatError { .init(.forbidden, "'\(name)' is private") }
    public static func muted(_ room: String, until: Micros) -> ChatError {
        .init(.muted, "you are muted in '\(room)' until \(ISO8601.format(micros: until))")
    }
    public static func banned(_ room: String) -> ChatError { .init(.banned, "you are banned from '\(room)'") }
}
