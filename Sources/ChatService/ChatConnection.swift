import ChatModel

/// One accepted client connection, named by the binding (the Socket.IO socket id).
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// How a connection proved who it is; decides whether it stays valid when an admin acts.
public enum ChatCredential: Hashable, Sendable {
    /// A session token (its SHA-256): valid while the session exists.
    case session(hash: [UInt8])
    /// A host-app token: valid while the user stays marked as the host app's.
    case hostApp
}

/// Who signed in, and how.
public struct ChatIdentity: Hashable, Sendable {
    public var user: User
    public var credential: ChatCredential
    public init(user: User, credential: ChatCredential) {
        self.user = user
        self.credential = credential
    }
}

/// An admitted connection: who, how, and from which address (for the per-address limit).
public struct ChatConnection: Hashable, Sendable {
    public var id: ConnectionID
    public var identity: ChatIdentity
    public var address: String

    public init(id: ConnectionID, identity: ChatIdentity, address: String) {
        self.id = id
        self.identity = identity
        self.address = address
    }

    public var user: User { identity.user }
}
