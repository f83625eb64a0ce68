import ChatModel

/// Who signed in, and how.
public struct ChatIdentity: Hashable, Sendable {
    public var user: User
    public var credential: ChatCredential
    public init(user: User, credential: ChatCredential) {
        self.user = user
        self.credential = credential
    }
}
