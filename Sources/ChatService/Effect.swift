import ChatModel

/// Something the binding carries out, in order.
public enum Effect: Equatable, Sendable {
    case deliver(Delivery)
    /// The connection starts receiving the room's broadcasts.
    case join(ConnectionID, room: String)
    /// These connections stop receiving the room's broadcasts.
    case leave([ConnectionID], room: String)
    /// Close the connection (its user was disabled or signed out).
    case disconnect(ConnectionID)
    /// From now on the room's broadcasts to this connection wait (it is about to enter the room and
    /// read its history: what it reads must not also arrive live).
    case hold(ConnectionID, room: String)
    /// The waiting broadcasts go out, in order, except `new_message`s up to `through` (the
    /// connection's answer held them already); the room's broadcasts flow again.
    case release(ConnectionID, room: String, through: MessageID)
}
