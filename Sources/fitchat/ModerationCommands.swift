import Administration
import ArgumentParser
import ChatModel
import FitchatDaemon
import Foundation

/// `fitchat mod …`: the front desk's mutes, bans and deletions, as a moderator's socket events do
/// them; each is written to the journal with the operator as actor (`cli:<unix user>`).
struct ModerationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mod", abstract: "Mute, ban and delete: moderation from the command line.",
        subcommands: [Mute.self, Unmute.self, Ban.self, Unban.self, Delete.self, List.self])

    /// Who the journal names for the CLI's actions.
    static var actor: String {
        let environment = ProcessInfo.processInfo.environment
        let name = environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? NSUserName()
        return ModerationRules.cliActor(name.isEmpty ? "unknown" : name)
    }

    struct Mute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep a user from writing in a room (sending, reacting, typing) for a while.")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The user's name.") var user: String
        @Option(help: "How long, in minutes (1 to 43200, 30 days).") var minutes: Int
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (restriction, entry) = try await store.admin().changing().mute(
                room: room, user: user, minutes: minutes, actor: ModerationCommand.actor)
            AuditJournal.record(entry)
            // The names as stored ('Ann' typed, 'ann' said), as `mod list` shows them.
            print(
                "'\(entry.target)' is muted in '\(entry.room)' until \(ISO8601.format(micros: restriction.mutedUntil ?? 0))"
            )
        }
    }

    struct Unmute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a mute.")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The user's name.") var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (lifted, entry) = try await store.admin().changing().unmute(
                room: room, user: user, actor: ModerationCommand.actor)
            AuditJournal.record(entry)
            let (user, room) = (entry.target, entry.room)
            print(lifted ? "'\(user)' may write in '\(room)' again" : "'\(user)' was not muted in '\(room)'")
        }
    }

    struct Ban: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a user from a room and keep them out until unbanned.")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The user's name.") var user: String
        @Option(help: "Why, shown to the room (at most 500 characters).") var reason: String = ""
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (banning, entry) = try await store.admin().changing().ban(
                room: room, user: user, reason: reason, actor: ModerationCommand.actor)
            AuditJournal.record(entry)
            print(
                "'\(entry.target)' is banned from '\(entry.room)'"
                    + (banning.leaveMessage != nil ? " and no longer a member" : ""))
        }
    }

    struct Unban: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a ban (the user may join again; they are not added back).")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The user's name.") var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (lifted, entry) = try await store.admin().changing().unban(
                room: room, user: user, actor: ModerationCommand.actor)
            AuditJournal.record(entry)
            let (user, room) = (entry.target, entry.room)
            print(lifted ? "'\(user)' may join '\(room)' again" : "'\(user)' was not banned from '\(room)'")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a message (its text and reactions leave the store; its place in history stays).")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The message id (see 'fitchat reports list' or 'fitchat export').") var id: UInt64
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let entry = try await store.admin().changing().deleteMessage(
                room: room, id: id, actor: ModerationCommand.actor)
            AuditJournal.record(entry)
            print("message \(id) in '\(room)' deleted")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the mutes in force and the bans.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let now = try store.admin().operations.now
            let rows = try store.admin().operations.restrictions().map { item in
                [
                    item.room, item.user,
                    item.restriction.isMuted(at: now) ? ISO8601.format(micros: item.restriction.mutedUntil ?? 0) : "-",
                    item.restriction.banned ? "banned" : "-", item.restriction.reason, item.restriction.actor,
                ]
            }
            print(Table.render(header: ["ROOM", "USER", "MUTED UNTIL", "BAN", "REASON", "BY"], rows: rows))
        }
    }
}

/// `fitchat reports …`: what members reported, for the front desk.
struct ReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "Messages members reported to the moderators.",
        subcommands: [List.self, Resolve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the open reports (oldest first).")
        @Flag(help: "Also the resolved ones.") var all = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let views = try store.admin().operations.reports(includeResolved: all)
            let rows = views.map { view in
                [
                    "\(view.report.id)", ISO8601.format(micros: view.report.createdAt), view.room,
                    "\(view.report.messageID)", view.author, view.reporter, view.report.reason,
                    view.report.isOpen ? "open" : "resolved by \(view.report.resolvedBy ?? "?")",
                    // Cut here, escaped once by the table (escaping here too showed `\\n` for a newline).
                    view.text.map { $0.unicodeScalars.count > 60 ? String($0.unicodeScalars.prefix(60)) + "…" : $0 }
                        ?? "(deleted)",
                ]
            }
            print(
                Table.render(
                    header: ["ID", "CREATED", "ROOM", "MESSAGE", "AUTHOR", "REPORTER", "REASON", "STATE", "TEXT"],
                    rows: rows))
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a report as dealt with.")
        @Argument(help: "The report's id.") var id: UInt64
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let operations = try store.admin().changing()
            let before = operations.now
            let (report, entry) = try await operations.resolveReport(id: id, actor: ModerationCommand.actor)
            AuditJournal.record(entry)
            // Resolving twice changes nothing: say who did it first, and when.
            if let at = report.resolvedAt, at < before {
                print(
                    "report \(report.id) was already resolved by \(report.resolvedBy ?? "?") at \(ISO8601.format(micros: at))"
                )
            } else {
                print("report \(report.id) resolved")
            }
        }
    }
}
