// Invites (a link that lets a person make their own account) and one-time sign-in links (a link
// that lets one existing user set a password). Both carry a random code that is never stored:
// only its SHA-256 is, as the key of an index.

public typealias InviteID = UInt64
public typealias SignInLinkID = UInt64

/// An invite: `/join/CODE` lets a person pick a user name, display name and password.
public struct Invite: Sendable, Equatable, Hashable {
    public var id: InviteID
    /// SHA-256 of the code (the code itself is shown once, when the invite is made).
    public var codeHash: [UInt8]
    /// The role of the accounts it makes.
    public var role: UserRole
    /// How many accounts it may make; nil = unlimited.
    public var usesAllowed: Int?
    public var uses: Int
    /// nil = never expires.
    public var expiresAt: Micros?
    /// The name of who made it (an admin's user name, or `cli`).
    public var createdBy: String
    public var createdAt: Micros
    public var revoked: Bool

    public init(
        id: InviteID, codeHash: [UInt8], role: UserRole = .member, usesAllowed: Int? = nil, uses: Int = 0,
        expiresAt: Micros? = nil, createdBy: String, createdAt: Micros, revoked: Bool = false
    ) {
        self.id = id
        self.codeHash = codeHash
        self.role = role
        self.usesAllowed = usesAllowed
        self.uses = uses
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.revoked = revoked
    }

    /// Whether it can make an account at `now`, and if not, why.
    public func state(at now: Micros) -> InviteState {
        if revoked { return .revoked }
        if let expiresAt, now >= expiresAt { return .expired }
        if let usesAllowed, uses >= usesAllowed { return .usedUp }
        return .valid
    }

    /// Uses left; nil = unlimited.
    public var usesLeft: Int? { usesAllowed.map { max(0, $0 - uses) } }
}

public enum InviteState: String, Sendable, Equatable, CaseIterable {
    case valid
    case expired
    case usedUp = "used_up"
    case revoked
}

/// Why an invite code could not be used (each is also what the join page says).
public enum InviteError: Error, Equatable, CustomStringConvertible {
    case unknown
    case expired
    case usedUp
    case revoked
    case notFound(id: InviteID)

    public init?(_ state: InviteState) {
        switch state {
        case .valid: return nil
        case .expired: self = .expired
        case .usedUp: self = .usedUp
        case .revoked: self = .revoked
        }
    }

    public var description: String {
        switch self {
        case .unknown: "this invite link is not valid"
        case .expired: "this invite link has expired"
        case .usedUp: "this invite link has been used up"
        case .revoked: "this invite link was withdrawn"
        case .notFound(let id): "no invite with id \(id)"
        }
    }
}

/// A one-time sign-in link (`/welcome/CODE`): the one user it names sets a password with it, once.
public struct SignInLink: Sendable, Equatable, Hashable {
    public var id: SignInLinkID
    public var codeHash: [UInt8]
    public var userID: UserID
    public var createdAt: Micros
    public var expiresAt: Micros
    /// When it was used; nil while unused.
    public var usedAt: Micros?

    public init(
        id: SignInLinkID, codeHash: [UInt8], userID: UserID, createdAt: Micros, expiresAt: Micros, usedAt: Micros? = nil
    ) {
        self.id = id
        self.codeHash = codeHash
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }

    public func state(at now: Micros) -> SignInLinkState {
        if usedAt != nil { return .used }
        if now >= expiresAt { return .expired }
        return .valid
    }
}

public enum SignInLinkState: String, Sendable, Equatable, CaseIterable {
    case valid
    case expired
    case used
}

/// Why a sign-in link could not be used.
public enum SignInLinkError: Error, Equatable, CustomStringConvertible {
    case unknown
    case expired
    case used
    case userDisabled

    public var description: String {
        switch self {
        case .unknown: "this sign-in link is not valid"
        case .expired: "this sign-in link has expired; ask for a new one"
        case .used: "this sign-in link has been used already; ask for a new one"
        case .userDisabled: "this account is disabled"
        }
    }
}
