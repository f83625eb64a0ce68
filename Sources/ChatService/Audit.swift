/// One moderation action for the journal (at notice level): who did what to whom, where. Never
/// the text of a message.
public struct AuditEntry: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case mute, unmute, ban, unban
        case deleteMessage = "delete_message"
        case report
        case resolveReport = "resolve_report"
    }

    public var action: Action
    /// A user name, or `cli:<unix user>` for the admin CLI.
    public var actor: String
    /// The user acted on (for a report or a deletion: the message's author).
    public var target: String
    public var room: String
    /// More fields (`until`, `message_id`, `report_id`), each becoming `FITCHAT_<NAME>`.
    public var details: [String: String]

    public init(_ action: Action, actor: String, target: String, room: String, details: [String: String] = [:]) {
        self.action = action
        self.actor = actor
        self.target = target
        self.room = room
        self.details = details
    }

    /// The log line's fields: `action`, `actor`, `target`, `room` and the details (the journal
    /// handler turns each into `FITCHAT_<NAME>`).
    public var fields: [String: String] {
        var fields = details
        fields["action"] = action.rawValue
        fields["actor"] = actor
        fields["target"] = target
        fields["room"] = room
        return fields
    }
}
