/// How a connection proved who it is; decides whether it stays valid when an admin acts.
public enum ChatCredential: Hashable, Sendable {
    /// A session token (its SHA-256): valid while the session exists.
    case session(hash: [UInt8])
    /// A host-app token: valid while the user stays marked as the host app's.
    case hostApp
}
