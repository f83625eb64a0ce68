import ChatGateway
import ChatService
import Logging
import Systemd

/// Moderation done with the admin CLI goes to the journal as the daemon's own actions do
/// (notice level, `FITCHAT_ACTION`, `FITCHAT_ACTOR`, `FITCHAT_TARGET`, `FITCHAT_ROOM`), whether or
/// not a daemon runs, so `journalctl FITCHAT_ACTION=ban` finds every ban.
public enum AuditJournal {
    public static func record(_ entry: AuditEntry) {
        Logger(label: "fitchat.moderation") { JournalLogHandler(label: $0, level: .notice) }.moderation(entry)
    }
}
