import ChatModel

/// An admitted connection: who, how, and the key its per-address limit counts under (an IPv4
/// address, or an IPv6 address's /64: `ClientAddress.limitKey`).
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
