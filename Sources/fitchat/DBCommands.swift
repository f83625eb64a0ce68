import Administration
import ArgumentParser
import Foundation

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Inspect, migrate and check the chat store.",
        subcommands: [Status.self, Migrate.self, Check.self, Reindex.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schema version, path, sizes, entries per table, readers.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let admin = try store.admin()
            let status = try admin.store.status()
            print(StatusReport.render(status, lastBackupAt: try admin.store.lastBackupAt()))
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring the store to this fitchat's schema version.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let admin = try store.admin(migrate: true, creation: .mayCreate)
            for note in admin.store.migrationNotes { print("note: \(note)") }
            print("schema version \(try admin.store.status().schemaVersion): up to date")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify that every index entry points at its record and every record is indexed.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let admin = try store.admin()
            let problems = try admin.store.check()
            if let first = problems.first {
                printError("inconsistent: \(first)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""))
                throw ExitCode(1)
            }
            print("ok: every index entry points at its record and every record is indexed")
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the search index from the messages; refuses while the daemon runs.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let started = Date()
            let (messages, postings) = try await StoreOperations.reindex(settings: try store.storeSettings())
            print(
                "reindexed \(messages) message\(messages == 1 ? "" : "s") for search: \(postings) posting\(postings == 1 ? "" : "s")"
                    + String(format: " in %.1f s", Date().timeIntervalSince(started)))
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data("fitchat: \(text)\n".utf8))
}
