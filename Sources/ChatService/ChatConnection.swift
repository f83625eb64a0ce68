import ChatModel

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
