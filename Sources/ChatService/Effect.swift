/// Something the binding carries out, in order.
public enum Effect: Equatable, Sendable {
    case deliver(Delivery)
    /// The connection starts receiving the room's broadcasts.
    case join(ConnectionID, room: String)
    /// These connections stop receiving the room's broadcasts.
    case leave([ConnectionID], room: String)
    /// Close the connection (its user was disabled or signed out).
    case disconnect(ConnectionID)
}
