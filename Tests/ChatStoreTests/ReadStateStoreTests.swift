import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

@Suite("recovery, read positions, unread counts, mentions and preferences in the store (schema 6)")
struct ReadStateStoreTests {
    struct Fixture {
        let store: ChatStore
        let ann: User, bob: User
        let general: Room, nutrition: Room
    }

    func fixture() async throws -> Fixture {
        let store = try makeStore(temporaryDirectory())
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let bob = try await store.createUser(name: "bob", displayName: "Bob", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        let nutrition = try #require(try store.room(named: "nutrition"))
        _ = try await store.join(room: general.id, user: ann.id)
        _ = try await store.join(room: general.id, user: bob.id)
        return Fixture(store: store, ann: ann, bob: bob, general: general, nutrition: nutrition)
    }

    func say(_ f: Fixture, _ user: User, _ text: String, mentions: [UserID] = [], in room: Room? = nil) async throws
        -> Message
    {
        try await f.store.append(
            NewMessage(roomID: (room ?? f.general).id, userID: user.id, text: text, mentions: mentions))
    }

    @Test func unreadCountsOthersTextsAfterThePositionAndSendingReadsToTheEnd() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        // Bob's join came after ann's: a join notice is not unread.
        var state = try #require(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1000)[f.general.id])
        #expect(state.unread == 0 && state.mentions == 0)
        let one = try await say(f, f.bob, "one")
        _ = try await say(f, f.bob, "two")
        let three = try await say(f, f.bob, "three")
        state = try #require(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1000)[f.general.id])
        #expect(state.unread == 3 && state.lastID == three.id)
        // Bob's own messages moved his position along: nothing unread for him.
        #expect(try f.store.readStates(user: f.bob.id, rooms: [f.general.id], cap: 1000)[f.general.id]?.unread == 0)

        #expect(
            try await f.store.markRead(room: f.general.id, user: f.ann.id, message: one.id)
                == ReadMark(position: one.id, moved: true))
        #expect(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1000)[f.general.id]?.unread == 2)
        // Never back.
        let joinOfAnn = try #require(try f.store.latestMessages(room: f.general.id, limit: 10).first)
        #expect(
            try await f.store.markRead(room: f.general.id, user: f.ann.id, message: joinOfAnn.id)
                == ReadMark(position: one.id, moved: false))
        // Sending reads to the end.
        let reply = try await say(f, f.ann, "hi")
        state = try #require(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1000)[f.general.id])
        #expect(state.unread == 0 && state.lastRead == reply.id)
        #expect(try f.store.check() == [])
    }

    @Test func markReadRefusesStrangersAndMessagesOfOtherRooms() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let elsewhere = try await say(f, f.bob, "soup", in: f.nutrition)
        await #expect(throws: RepositoryError.messageNotFound(elsewhere.id)) {
            try await f.store.markRead(room: f.general.id, user: f.ann.id, message: elsewhere.id)
        }
        await #expect(throws: RepositoryError.notParticipant) {
            try await f.store.markRead(room: f.nutrition.id, user: f.ann.id, message: elsewhere.id)
        }
    }

    @Test func joiningReadsToTheEndOnlyWhenAsked() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let before = try #require(try f.store.participant(room: f.general.id, user: f.ann.id)).lastRead
        let later = try await say(f, f.bob, "later")
        let resumed = try await f.store.join(room: f.general.id, user: f.ann.id, readToEnd: false)
        #expect(resumed.previousRead == before && resumed.participant.lastRead == before)
        let opened = try await f.store.join(room: f.general.id, user: f.ann.id, readToEnd: true)
        #expect(opened.previousRead == before)
        #expect(try f.store.participant(room: f.general.id, user: f.ann.id)?.lastRead == later.id)
    }

    /// Defect (issue 15 attack): a member joining a private room while an admin removed them was
    /// made a participant again by the join's write (the membership was checked before it). The
    /// write itself now refuses one who is not a participant when asked to.
    @Test func aJoinThatNeedsTheMembershipRefusesOneRemovedMeanwhile() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        _ = try #require(try await f.store.leave(room: f.general.id, user: f.ann.id))
        let end = try #require(try f.store.latestMessages(room: f.general.id, limit: 1).last).id
        await #expect(throws: RepositoryError.notParticipant) {
            try await f.store.join(room: f.general.id, user: f.ann.id, readToEnd: true, onlyIfParticipant: true)
        }
        #expect(try f.store.participant(room: f.general.id, user: f.ann.id) == nil)
        #expect(try f.store.latestMessages(room: f.general.id, limit: 1).last?.id == end)
        let bobs = try await f.store.join(room: f.general.id, user: f.bob.id, readToEnd: true, onlyIfParticipant: true)
        #expect(bobs.joinMessage == nil)
    }

    @Test func recoveryIsEveryNewerMessageAndEveryOlderOneChangedSince() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let early = try await say(f, f.ann, "early")
        let edited = try await say(f, f.ann, "to edit")
        let seen = try await say(f, f.bob, "last seen")
        // Changed after `seen` although older than it: the client must hear of it.
        _ = try await f.store.react(message: early.id, user: f.bob.id, emoji: "👍", on: true)
        let missed1 = try await say(f, f.bob, "missed 1")
        _ = try await f.store.editMessage(id: edited.id, text: "edited")
        let missed2 = try await say(f, f.bob, "missed 2")
        _ = try await f.store.deleteMessage(id: missed1.id)

        let recovery = try #require(try f.store.recovery(room: f.general.id, since: seen.id, limit: 1000))
        #expect(recovery.messages.map(\.id) == [missed1.id, missed2.id])
        #expect(recovery.messages.first?.deleted == true)
        // Older changed ones in the order they changed, as they are now.
        #expect(recovery.updated.map(\.id) == [early.id, edited.id])
        #expect(recovery.updated.last?.text == "edited")
        #expect(recovery.hasOlder)
        // A reaction changed again moves to the end of the log, once.
        _ = try await f.store.react(message: early.id, user: f.ann.id, emoji: "💪", on: true)
        #expect(
            try f.store.recovery(room: f.general.id, since: seen.id, limit: 1000)?.updated.map(\.id) == [
                edited.id, early.id,
            ])
        // From past every number the counter gave out: nothing missed.
        let nothing = try #require(try f.store.recovery(room: f.general.id, since: 1_000_000, limit: 1000))
        #expect(nothing.messages.isEmpty && nothing.updated.isEmpty)
        // Too much missed: nil, whichever side overflows.
        #expect(try f.store.recovery(room: f.general.id, since: seen.id, limit: 1) == nil)
        #expect(try f.store.recovery(room: f.general.id, since: 0, limit: 1000)?.hasOlder == false)
        #expect(try f.store.check() == [])
    }

    @Test func recoverySurvivesReopeningTheStore() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        let first = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "first"))
        let second = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "second"))
        _ = try await store.editMessage(id: first.id, text: "first, edited")
        store.close()
        store = try makeStore(dir)
        defer { store.close() }
        let recovery = try #require(try store.recovery(room: general.id, since: first.id, limit: 10))
        #expect(recovery.messages.map(\.id) == [second.id] && recovery.updated.map(\.text) == ["first, edited"])
    }

    @Test func mentionsAreIndexedCountedUntilReadAndFollowEditsAndDeletes() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let first = try await say(f, f.bob, "@ann look", mentions: [f.ann.id, f.bob.id])
        #expect(first.mentions == [f.ann.id])  // never the author
        let second = try await say(f, f.bob, "@ann again", mentions: [f.ann.id])
        let plain = try await say(f, f.bob, "no one")
        #expect(try f.store.mentions(ofUser: f.ann.id, before: nil, limit: 10).map(\.id) == [second.id, first.id])
        #expect(try f.store.mentions(ofUser: f.ann.id, before: second.id, limit: 10).map(\.id) == [first.id])
        #expect(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1000)[f.general.id]?.mentions == 2)
        #expect(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1)[f.general.id]?.mentions == 1)
        _ = try await f.store.markRead(room: f.general.id, user: f.ann.id, message: first.id)
        #expect(try f.store.readStates(user: f.ann.id, rooms: [f.general.id], cap: 1000)[f.general.id]?.mentions == 1)

        let edited = try await f.store.editMessage(id: plain.id, text: "@ann now", mentions: [f.ann.id])
        #expect(edited.mentions == [f.ann.id])
        _ = try await f.store.editMessage(id: second.id, text: "never mind", mentions: [])
        _ = try await f.store.deleteMessage(id: first.id)
        #expect(try f.store.mentions(ofUser: f.ann.id, before: nil, limit: 10).map(\.id) == [plain.id])
        #expect(try f.store.message(id: first.id)?.mentions == [])
        #expect(try f.store.check() == [])
    }

    @Test func preferencesDefaultToSharingAndPersist() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        #expect(try f.store.preferences(ofUser: f.ann.id) == Preferences(shareReadReceipts: true))
        try await f.store.setPreferences(Preferences(shareReadReceipts: false), ofUser: f.ann.id)
        #expect(try f.store.preferences(ofUser: f.ann.id).shareReadReceipts == false)
        await #expect(throws: RepositoryError.userNotFound("#999")) {
            try await f.store.setPreferences(Preferences(), ofUser: 999)
        }
        #expect(try f.store.check() == [])
    }
}

@Suite("read positions of direct rooms")
struct DirectReadStateTests {
    @Test func oneWhoComesBackToAConversationStartsAtItsEnd() async throws {
        let store = try makeStore(temporaryDirectory())
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let bob = try await store.createUser(name: "bob", displayName: "Bob", role: .member, passwordHash: nil)
        let room = try await store.openDirectRoom(DirectPair(ann.id, bob.id)).room
        for text in ["a", "b", "c"] {
            _ = try await store.append(NewMessage(roomID: room.id, userID: ann.id, text: text))
        }
        #expect(try store.readStates(user: bob.id, rooms: [room.id], cap: 1000)[room.id]?.unread == 3)
        _ = try await store.leave(room: room.id, user: bob.id)
        _ = try await store.openDirectRoom(DirectPair(ann.id, bob.id))
        #expect(try store.readStates(user: bob.id, rooms: [room.id], cap: 1000)[room.id]?.unread == 0)
        #expect(try store.check() == [])
    }
}
