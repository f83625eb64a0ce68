import ChatModel
import SocketIOProtocol

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

/// One server → client event and who gets it.
public struct Delivery: Equatable, Sendable {
    public var audience: Audience
    public var event: String
    public var payload: JSONValue
    /// A stored message reaching its room: what `fitchat_deliveries_total` counts.
    public var isMessageDelivery: Bool

    public init(_ audience: Audience, _ event: String, _ payload: JSONValue, isMessageDelivery: Bool = false) {
        self.audience = audience
        self.event = event
        self.payload = payload
        self.isMessageDelivery = isMessageDelivery
    }
}

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

/// The answer of the service to one call: effects, then the ack, then the effects that must follow
/// the ack, then (when set) `next`, which the binding hands back to `ChatService.resume` once it
/// has carried out everything before it (a socket must be in a room before its history is read).
public struct Outcome: Sendable {
    public var effects: [Effect] = []
    /// The ack: the fields of `{"ok":true,…}`, or the refusal. nil when there is nothing to answer.
    public var reply: Result<[(String, JSONValue)], ChatError>?
    /// Carried out after the ack: a broadcast the sender also receives must reach it after its ack.
    public var afterReply: [Effect] = []
    public var next: FollowUp?
    /// A message was committed to disk (for the metrics).
    public var stored = false
    /// Why the reply is `internal_error`: the underlying error, for the log (never for the client).
    public var fault: String?

    public init() {}

    static func failure(_ error: ChatError) -> Outcome {
        var outcome = Outcome()
        outcome.reply = .failure(error)
        return outcome
    }

    /// The ack as the client receives it.
    public var ack: JSONValue? {
        switch reply {
        case .success(let fields)?: ChatJSON.success(fields)
        case .failure(let error)?: ChatJSON.failure(error)
        case nil: nil
        }
    }
}

/// The rest of a call, to resume once the effects before it are carried out. Opaque to the binding.
public struct FollowUp: Sendable {
    enum Step: Sendable {
        /// After `status`: presence (first connection) and the room list.
        case welcome(ChatConnection, cameOnline: Bool)
        /// After the socket joined the room: history, participants, the announcements.
        case roomJoined(ChatConnection, Room, Membership)
    }

    let step: Step
}
