import ChatModel

/// Who signed in, and how.
public struct ChatIdentity: Hashable, Sendable {
    public var user: User
    public var credential: ChatCredential
    /// As stored when the connection was admitted (for `status`).
    public var preferences: Preferences
    public init(user: User, credential: ChatCredential, preferences: Preferences = Preferences()) {
        self.user = user
        self.credential = credential
        self.preferences = preferences
    }
}
