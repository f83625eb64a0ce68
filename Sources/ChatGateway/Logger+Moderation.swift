import ChatModel
import ChatService
import Logging

extension Logger {
    /// A moderation action, at notice level with its fields (`FITCHAT_ACTION`, `FITCHAT_ACTOR`,
    /// `FITCHAT_TARGET`, `FITCHAT_ROOM`, …) for `journalctl FITCHAT_ACTION=ban`; never message text.
    /// The daemon's own actions and the admin CLI's (`AuditJournal`) are logged alike.
    public func moderation(_ entry: AuditEntry) {
        notice(
            "moderation: \(entry.action.rawValue)",
            metadata: entry.fields.mapValues { .string(SafeText.forLog($0, limit: 200)) })
    }
}
