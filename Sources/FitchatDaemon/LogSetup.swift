import Configuration
import Foundation
import Logging
import Systemd

/// Chooses where logs go, once per process: native journal entries when systemd connected our
/// stderr to the journal (or `--log-target journal`), readable text on stderr otherwise.
public enum LogSetup {
    public static func bootstrap(target: String, level: String) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        let useJournal = target == "journal" || (target == "auto" && JournalLogHandler.stderrIsJournal())
        LoggingSystem.bootstrap { label in
            if useJournal { return JournalLogHandler(label: label, level: logLevel) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}
