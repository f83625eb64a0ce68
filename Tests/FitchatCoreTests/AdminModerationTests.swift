import Administration
import ChatModel
import ChatService
import ChatStore
import Foundation
import Testing

/// The CLI's moderation (`fitchat mod`, `fitchat reports`): the store changes, the daemon is told,
/// and each action comes back as its journal entry.
@Suite struct AdminModerationTests {
    @Test func muteBanAndDeleteAreToldToTheDaemonAndAudited() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "ann", displayName: nil, role: .member, password: nil)
        let (restriction, mute) = try await h.operations.mute(
            room: "general", user: "ann", minutes: 10, actor: "cli:root")
        #expect(restriction.mutedUntil != nil)
        #expect(mute.action == .mute && mute.actor == "cli:root" && mute.target == "ann" && mute.room == "general")
        #expect(h.messages.contains(.moderated(action: "mute", room: "general", user: "ann")))
        await #expect(throws: AdminError.invalidMuteMinutes(0, ModerationRules.mutableMinutes)) {
            try await h.operations.mute(room: "general", user: "ann", minutes: 0, actor: "cli:root")
        }
        let (banning, ban) = try await h.operations.ban(room: "general", user: "ann", reason: "spam", actor: "cli:root")
        #expect(banning.restriction.banned && ban.action == .ban)
        #expect(try h.operations.restrictions().map(\.user) == ["ann"])
        await #expect(throws: AdminError.invalidReason) {
            try await h.operations.ban(room: "general", user: "ann", reason: "a\u{1B}[2J", actor: "cli:root")
        }
        #expect(try await h.operations.unban(room: "general", user: "ann", actor: "cli:root").0)
        #expect(try await h.operations.unmute(room: "general", user: "ann", actor: "cli:root").0)
        #expect(try h.operations.restrictions().isEmpty)

        let ann = try #require(try h.store.user(named: "ann"))
        let general = try #require(try h.store.room(named: "general"))
        let message = try await h.store.append(NewMessage(roomID: general.id, userID: ann.id, text: "spam"))
        let deletion = try await h.operations.deleteMessage(room: "general", id: message.id, actor: "cli:root")
        #expect(deletion.target == "ann" && deletion.details == ["message_id": "\(message.id)"])
        #expect(h.messages.contains(.messageDeleted(room: "general", messageID: message.id)))
        await #expect(throws: RepositoryError.messageNotFound(message.id)) {
            try await h.operations.deleteMessage(room: "general", id: message.id, actor: "cli:root")
        }
    }

    @Test func reportsAreListedWithNamesAndResolved() async throws {
        let h = try Harness()
        let ann = try await h.operations.addUser(name: "ann", displayName: nil, role: .member, password: nil)
        let bob = try await h.operations.addUser(name: "bob", displayName: nil, role: .member, password: nil)
        let general = try #require(try h.store.room(named: "general"))
        let message = try await h.store.append(NewMessage(roomID: general.id, userID: ann.id, text: "buy pills"))
        let filing = try await h.store.fileReport(
            room: general.id, message: message.id, reporter: bob.id, reason: "spam")
        let views = try h.operations.reports(includeResolved: false)
        #expect(
            views.map(\.author) == ["ann"] && views.map(\.reporter) == ["bob"] && views.map(\.text) == ["buy pills"])
        let (_, entry) = try await h.operations.resolveReport(id: filing.report.id, actor: "cli:root")
        #expect(entry.action == .resolveReport && entry.details["report_id"] == "\(filing.report.id)")
        #expect(try h.operations.reports(includeResolved: false).isEmpty)
        #expect(try h.operations.reports(includeResolved: true).count == 1)
    }
}
