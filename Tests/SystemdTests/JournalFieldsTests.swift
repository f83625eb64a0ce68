import Logging
import Systemd
import Testing

@Suite struct JournalFieldsTests {
    @Test func anEntryCarriesMessagePriorityIdentifierCodeAndMetadata() {
        let fields = JournalFields.make(
            level: .notice, message: "login", metadata: ["user": "ann", "remote": "10.0.0.7", "session": "abc"],
            file: "FitchatCore/AccountRoutes.swift", function: "login(_:_:)", line: 42)
        #expect(
            fields == [
                "MESSAGE=login",
                "PRIORITY=5",
                "SYSLOG_IDENTIFIER=fitchat",
                "CODE_FILE=FitchatCore/AccountRoutes.swift",
                "CODE_LINE=42",
                "CODE_FUNC=login(_:_:)",
                "FITCHAT_REMOTE=10.0.0.7",
                "FITCHAT_SESSION=abc",
                "FITCHAT_USER=ann",
            ])
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func levelsMapToSyslogPriorities(level: Logger.Level, priority: Int) {
        #expect(JournalFields.priority(level) == priority)
    }

    @Test func metadataKeysBecomeValidJournalFieldNames() {
        #expect(JournalFields.fieldName(for: "user") == "FITCHAT_USER")
        #expect(JournalFields.fieldName(for: "stale_readers-cleared.now") == "FITCHAT_STALE_READERS_CLEARED_NOW")
        let fields = JournalFields.make(
            level: .info, message: "m", metadata: ["rooms": ["a", "b"], "n": "\(3)"],
            file: "f", function: "g", line: 1)
        #expect(fields.contains("FITCHAT_ROOMS=a,b"))
        #expect(fields.contains("FITCHAT_N=3"))
    }

    @Test func journalStreamMustMatchStderr() {
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:1"]))
    }
}
