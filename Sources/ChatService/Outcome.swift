import ChatModel
import SocketIOProtocol

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
    /// Moderation actions this call took, for the journal.
    public var audit: [AuditEntry] = []

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
