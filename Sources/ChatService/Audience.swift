import ChatModel

/// Who receives a delivery. Rooms are chat room names; the binding maps them to its own groups.
public enum Audience: Hashable, Sendable {
    /// One connection.
    case connection(ConnectionID)
    /// Each of these connections (say, every connection of one user).
    case connections([ConnectionID])
    /// Every connection in the room but `except`.
    case room(String, except: ConnectionID?)
    /// Every connection in the room whose user is not `user` (typing never echoes to the typer).
    case roomExcludingUser(String, UserID)
    /// Every connection in any of these rooms, once each.
    case rooms([String])
}
