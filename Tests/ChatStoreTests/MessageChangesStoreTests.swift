import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

@Suite("edits, tombstones, reactions and direct rooms in the store")
struct MessageChangesStoreTests {
    struct Fixture {
        let dir: String
        let store: ChatStore
        let ann: User, bob: User
        let message: Message
    }

    func fixture() async throws -> Fixture {
        let dir = temporaryDirectory()
        let store = try makeStore(dir)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let bob = try await store.createUser(name: "bob", displayName: "Bob", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        let message = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "secret plan"))
        return Fixture(dir: dir, store: store, ann: ann, bob: bob, message: message)
    }

    @Test func anEditStoresTheTextAndMarksIt() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let edited = try await f.store.editMessage(id: f.message.id, text: "new plan")
        #expect(edited.text == "new plan" && edited.isEdited && edited.editedAt != nil)
        #expect(try f.store.message(id: f.message.id) == edited)
        await #expect(throws: RepositoryError.messageNotFound(999)) {
            try await f.store.editMessage(id: 999, text: "x")
        }
    }

    @Test func reactionsToggleInOrderOfFirstUse() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let id = f.message.id
        _ = try await f.store.react(message: id, user: f.ann.id, emoji: "👍", on: true)
        _ = try await f.store.react(message: id, user: f.bob.id, emoji: ":fire:", on: true)
        _ = try await f.store.react(message: id, user: f.bob.id, emoji: "👍", on: true)
        let again = try await f.store.react(message: id, user: f.bob.id, emoji: "👍", on: true)
        #expect(
            again == [Reaction(emoji: "👍", users: [f.ann.id, f.bob.id]), Reaction(emoji: ":fire:", users: [f.bob.id])])
        _ = try await f.store.react(message: id, user: f.bob.id, emoji: ":fire:", on: false)
        let off = try await f.store.react(message: id, user: f.ann.id, emoji: ":nope:", on: false)
        #expect(off == [Reaction(emoji: "👍", users: [f.ann.id, f.bob.id])])
        #expect(try f.store.reactions(ofMessage: id) == off)
        _ = try await f.store.react(message: id, user: f.ann.id, emoji: "👍", on: false)
        _ = try await f.store.react(message: id, user: f.bob.id, emoji: "👍", on: false)
        #expect(try f.store.reactions(ofMessage: id).isEmpty)
        #expect(try f.store.status().entries.first { $0.table == "reactions" }?.count == 0)
    }

    @Test func twentyEmojisAtMost() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        for n in 0..<Reaction.maxPerMessage {
            _ = try await f.store.react(message: f.message.id, user: f.ann.id, emoji: ":e\(n):", on: true)
        }
        await #expect(throws: RepositoryError.tooManyReactions) {
            try await f.store.react(message: f.message.id, user: f.bob.id, emoji: ":one-more:", on: true)
        }
        // An emoji already there still takes another user.
        let joined = try await f.store.react(message: f.message.id, user: f.bob.id, emoji: ":e0:", on: true)
        #expect(joined.count == 20 && joined[0].users == [f.ann.id, f.bob.id])
        #expect(try f.store.check() == [])
    }

    @Test func aDeletedMessageIsATombstoneWithoutTextOrReactionsInTheFile() async throws {
        let f = try await fixture()
        let id = f.message.id
        _ = try await f.store.react(message: id, user: f.bob.id, emoji: "👍", on: true)
        let tombstone = try await f.store.deleteMessage(id: id)
        #expect(tombstone.deleted && tombstone.text.isEmpty)
        #expect(try f.store.reactions(ofMessage: id).isEmpty)
        #expect(try f.store.latestMessages(room: f.message.roomID, limit: 5).last == tombstone)
        for change in [
            { try await f.store.editMessage(id: id, text: "back") } as @Sendable () async throws -> Any,
            { try await f.store.deleteMessage(id: id) },
            { try await f.store.react(message: id, user: f.ann.id, emoji: "👍", on: true) },
        ] {
            await #expect(throws: RepositoryError.messageNotFound(id)) { _ = try await change() }
        }
        #expect(try f.store.check() == [])
        // The text is gone from the record, not merely hidden, and from a (compacted) backup's file.
        // The live file's freed pages may hold old bytes until LMDB reuses them.
        let backup = temporaryDirectory()
        try f.store.backup(to: backup)
        f.store.close()
        let env = try rawEnvironment(f.dir)
        defer { env.close() }
        let messages = try env.database(named: "messages", create: false, as: (MessageID.self, Bytes.self))
        let raw = try #require(try env.read { txn in try txn.get(messages, id) })
        #expect(Data(raw.bytes).range(of: Data("secret plan".utf8)) == nil)
        let copy = try Data(contentsOf: URL(fileURLWithPath: (backup as NSString).appendingPathComponent("data.mdb")))
        #expect(copy.range(of: Data("secret plan".utf8)) == nil)
        #expect(copy.range(of: Data("👍".utf8)) == nil)
    }

    @Test func aDirectRoomIsMadeOnceForItsPairAndHoldsBoth() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        async let first = f.store.openDirectRoom(DirectPair(f.ann.id, f.bob.id))
        async let second = f.store.openDirectRoom(DirectPair(f.bob.id, f.ann.id))
        let results = try await [first, second]
        #expect(results.filter(\.created).count == 1)
        #expect(results.map(\.added).sorted { $0.count < $1.count } == [[], [f.ann.id, f.bob.id]])
        #expect(results[0].room == results[1].room)
        let room = results[0].room
        #expect(room.name == "dm-\(f.ann.id)-\(f.bob.id)" && room.isPrivate && room.kind == .direct)
        #expect(Set(try f.store.participants(ofRoom: room.id).map(\.userID)) == [f.ann.id, f.bob.id])
        #expect(try f.store.latestMessages(room: room.id, limit: 5).isEmpty)
        // One who left is a participant again when the room is opened again.
        _ = try await f.store.leave(room: room.id, user: f.bob.id)
        let reopened = try await f.store.openDirectRoom(DirectPair(f.ann.id, f.bob.id))
        #expect(!reopened.created && reopened.room == room && reopened.added == [f.bob.id])
        #expect(try f.store.participant(room: room.id, user: f.bob.id) != nil)
        #expect(try f.store.check() == [])
    }

    @Test func theCheckFindsBrokenDirectRoomsReactionsAndTombstones() async throws {
        let f = try await fixture()
        let room = try await f.store.openDirectRoom(DirectPair(f.ann.id, f.bob.id)).room
        _ = try await f.store.react(message: f.message.id, user: f.bob.id, emoji: "👍", on: true)
        let other = try await f.store.append(NewMessage(roomID: f.message.roomID, userID: f.bob.id, text: "hi"))
        f.store.close()
        let env = try rawEnvironment(f.dir)
        let directRooms = try env.database(named: "direct_rooms", create: false, as: (Bytes.self, Bytes.self))
        let messages = try env.database(named: "messages", create: false, as: (MessageID.self, Message.self))
        try env.write { txn in
            _ = try txn.delete(directRooms, Bytes(RoomUserKeyBytes.key(f.ann.id, f.bob.id)))
            // A tombstone that kept its text and its reactions, as a bug would leave it.
            var broken = f.message
            broken.deleted = true
            try txn.put(messages, broken.id, broken)
            _ = try txn.delete(messages, other.id)
        }
        env.close()
        let store = try makeStore(f.dir)
        defer { store.close() }
        let problems = try store.check()
        #expect(problems.contains("direct room \(room.id) '\(room.name)' is missing from direct_rooms"))
        #expect(problems.contains("deleted message \(f.message.id) still holds its text or mentions"))
        #expect(problems.contains("deleted message \(f.message.id) still holds reactions"))
    }
}

/// The big-endian key of a (user, user) pair, as the store writes it.
enum RoomUserKeyBytes {
    static func key(_ a: UInt64, _ b: UInt64) -> [UInt8] { a.encoded + b.encoded }
}
