import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

@Suite("mutes, bans and reports in the store (schema 7)")
struct ModerationStoreTests {
    @Test func restrictionsPersistAndLiftingForgetsThem() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        let now = store.currentTime
        let muted = try await store.mute(room: general.id, user: ann.id, until: now + 60_000_000, actor: "desk")
        #expect(muted.isMuted(at: now) && !muted.isMuted(at: now + 60_000_000) && !muted.banned)
        store.close()
        store = try makeStore(dir)
        defer { store.close() }
        #expect(try store.restriction(room: general.id, user: ann.id) == muted)
        #expect(try store.restrictions(ofUser: ann.id) == [general.id: muted])
        #expect(try await store.unmute(room: general.id, user: ann.id))
        #expect(try store.restriction(room: general.id, user: ann.id) == nil)
        #expect(try await !store.unmute(room: general.id, user: ann.id))
        #expect(try store.check().isEmpty)
    }

    @Test func aBanEndsTheMembershipAndRefusesJoinsUntilLifted() async throws {
        let store = try makeStore(temporaryDirectory())
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        _ = try await store.join(room: general.id, user: ann.id)
        // A mute and a ban live in one record; lifting the ban keeps the mute.
        _ = try await store.mute(room: general.id, user: ann.id, until: store.currentTime + 600_000_000, actor: "desk")
        let banning = try await store.ban(room: general.id, user: ann.id, reason: "spam", actor: "desk")
        #expect(banning.leaveMessage?.type == .leave && banning.restriction.reason == "spam")
        #expect(try store.participant(room: general.id, user: ann.id) == nil)
        #expect(try !store.rooms(ofUser: ann.id).contains(general.id))
        await #expect(throws: RepositoryError.banned) { try await store.join(room: general.id, user: ann.id) }
        // Banning one who is no participant stores no leave message.
        #expect(try await store.ban(room: general.id, user: ann.id, reason: "", actor: "desk").leaveMessage == nil)
        #expect(try store.check().isEmpty)
        #expect(try await store.unban(room: general.id, user: ann.id))
        let kept = try #require(try store.restriction(room: general.id, user: ann.id))
        #expect(!kept.banned && kept.mutedUntil != nil)
        #expect(try await store.join(room: general.id, user: ann.id).joinMessage != nil)
        #expect(try store.check().isEmpty)
    }

    /// Defect (issue 16 attack): `send_message` checked the sender's standing, then appended in a
    /// later write; a ban or mute committed in between let the message in — after the ban's `leave`
    /// message, from a non-participant. A member's message is now re-checked in its own write.
    @Test func aMembersMessageIsRefusedInItsWriteOnceBannedMutedOrGone() async throws {
        let store = try makeStore(temporaryDirectory())
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        func post() async throws -> Message {
            try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "hi", fromParticipant: true))
        }
        await #expect(throws: RepositoryError.notParticipant) { try await post() }
        _ = try await store.join(room: general.id, user: ann.id)
        #expect(try await post().text == "hi")
        let until = store.currentTime + 600_000_000
        _ = try await store.mute(room: general.id, user: ann.id, until: until, actor: "desk")
        await #expect(throws: RepositoryError.muted(until: until)) { try await post() }
        _ = try await store.unmute(room: general.id, user: ann.id)
        #expect(try await post().text == "hi")
        _ = try await store.ban(room: general.id, user: ann.id, reason: "", actor: "desk")
        await #expect(throws: RepositoryError.banned) { try await post() }
        // Not from a member (notices, imports): no standing needed.
        #expect(try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "notice")).text == "notice")
        #expect(try store.check().isEmpty)
    }

    @Test func oneReportPerReporterAndMessageAndResolvingKeepsTheFirst() async throws {
        let store = try makeStore(temporaryDirectory())
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let bob = try await store.createUser(name: "bob", displayName: "Bob", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        let nutrition = try #require(try store.room(named: "nutrition"))
        let message = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "spam"))
        let first = try await store.fileReport(room: general.id, message: message.id, reporter: bob.id, reason: "spam")
        #expect(!first.duplicate && first.report.authorID == ann.id && first.report.isOpen)
        let again = try await store.fileReport(room: general.id, message: message.id, reporter: bob.id, reason: "x")
        #expect(again.duplicate && again.report == first.report)
        await #expect(throws: RepositoryError.messageNotFound(message.id)) {
            try await store.fileReport(room: nutrition.id, message: message.id, reporter: bob.id, reason: "x")
        }
        let resolved = try await store.resolveReport(id: first.report.id, actor: "cli:root")
        #expect(resolved.resolvedBy == "cli:root" && !resolved.isOpen)
        #expect(try await store.resolveReport(id: first.report.id, actor: "desk").resolvedBy == "cli:root")
        #expect(try store.reports(includeResolved: false).isEmpty)
        #expect(try store.reports(includeResolved: true) == [resolved])
        await #expect(throws: RepositoryError.reportNotFound(99)) {
            try await store.resolveReport(id: 99, actor: "desk")
        }
        // A deleted message cannot be reported; its earlier report stays (the front desk's record).
        _ = try await store.deleteMessage(id: message.id)
        await #expect(throws: RepositoryError.messageNotFound(message.id)) {
            try await store.fileReport(room: general.id, message: message.id, reporter: ann.id, reason: "x")
        }
        #expect(try store.check().isEmpty)
    }

    /// An edit or reaction on its way when a ban or mute commits is refused by its own write.
    @Test func editsAndReactionsCheckTheirAuthorsStandingInTheirWrite() async throws {
        let store = try makeStore(temporaryDirectory())
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        _ = try await store.join(room: general.id, user: ann.id)
        let message = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "leg day"))
        let until = store.currentTime + 600_000_000
        _ = try await store.mute(room: general.id, user: ann.id, until: until, actor: "desk")
        await #expect(throws: RepositoryError.muted(until: until)) {
            try await store.editMessage(id: message.id, text: "x", mentions: [], standing: true)
        }
        await #expect(throws: RepositoryError.muted(until: until)) {
            try await store.react(message: message.id, user: ann.id, emoji: "👍", on: true, standing: true)
        }
        _ = try await store.ban(room: general.id, user: ann.id, reason: "", actor: "desk")
        await #expect(throws: RepositoryError.banned) {
            try await store.editMessage(id: message.id, text: "x", mentions: [], standing: true)
        }
        // Without standing (the store's own callers) the change goes through.
        #expect(try await store.editMessage(id: message.id, text: "x", mentions: []).text == "x")
        #expect(try store.message(id: message.id)?.isEdited == true)
    }
}
