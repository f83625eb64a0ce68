import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

/// A copy of the store fitchat wrote at schema 4 before issue 14 (Tests/Fixtures/schema4-store,
/// see its README), in a fresh directory: opening migrates in place.
private func schemaFourFixture() throws -> String {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema4-store/data.mdb")
    let dir = temporaryDirectory()
    try FileManager.default.copyItem(atPath: fixture.path, toPath: (dir as NSString).appendingPathComponent("data.mdb"))
    return dir
}

/// A schema-4 store where an admin had named ordinary rooms `dm-1-2` and `room-dm-1-2`.
private func schemaFourWithADirectLookingRoom() throws -> String {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema4-dm-room/data.mdb")
    let dir = temporaryDirectory()
    try FileManager.default.copyItem(atPath: fixture.path, toPath: (dir as NSString).appendingPathComponent("data.mdb"))
    return dir
}

@Suite("schema 4 → 5")
struct SchemaFiveMigrationTests {
    @Test func anOrdinaryRoomNamedLikeADirectOneMovesAside() async throws {
        let store = try ChatStore.open(directory: try schemaFourWithADirectLookingRoom(), migrate: true)
        defer { store.close() }
        #expect(store.migrationNotes.contains { $0.contains("'dm-1-2' renamed to 'room-dm-1-2-2'") })
        #expect(try store.room(named: "dm-1-2") == nil)
        let moved = try #require(try store.room(named: "room-dm-1-2-2"))
        #expect(moved.id == 5 && moved.description == "an old room" && moved.direct == nil)
        #expect(try store.room(named: "room-dm-1-2")?.id == 6)
        // The direct conversation of users 1 and 2 can now have its name.
        let opened = try await store.openDirectRoom(DirectPair(1, 2))
        #expect(opened.room.name == "dm-1-2" && opened.room.direct == DirectPair(1, 2))
        #expect(try store.check() == [])
    }

    @Test func theFixtureNeedsMigratingAndOpensReadOnlyNowhere() throws {
        let dir = try schemaFourFixture()
        #expect(throws: ChatStoreError.needsMigration(found: 4, supported: ChatStore.schemaVersion)) {
            try ChatStore.open(directory: dir)
        }
        #expect(throws: ChatStoreError.needsMigration(found: 4, supported: ChatStore.schemaVersion)) {
            try ChatStore.open(directory: dir, readOnly: true)
        }
    }

    @Test func migratingKeepsEveryRecordAndTheCheckPasses() async throws {
        let store = try ChatStore.open(directory: try schemaFourFixture(), migrate: true)
        defer { store.close() }
        #expect(try store.status().schemaVersion == ChatStore.schemaVersion)
        #expect(try store.check() == [])
        #expect(try store.allUsers().map(\.name) == ["coach", "ann", "bob"])
        #expect(try store.user(named: "bob")?.disabled == true)
        #expect(try store.user(named: "coach")?.role == .admin)
        let rooms = try store.allRooms()
        #expect(rooms.map(\.name) == ["general", "workout-tips", "nutrition", "progress", "coaches"])
        #expect(rooms.map(\.kind) == [.public, .public, .public, .public, .private])
        #expect(rooms.allSatisfy { $0.direct == nil })
        let coaches = try #require(try store.room(named: "coaches"))
        #expect(Set(try store.participants(ofRoom: coaches.id).map(\.userID)) == [1, 2])
        var messages: [Message] = []
        try store.forEachMessage { messages.append($0) }
        #expect(messages.count == 11)
        #expect(messages.allSatisfy { !$0.deleted && !$0.isEdited })
        #expect(try messages.allSatisfy { try store.reactions(ofMessage: $0.id).isEmpty })
        #expect(messages.first { $0.id == 7 }?.text == "Leg day 🦵")
        #expect(messages.first { $0.id == 3 }?.type == .system)
        #expect(try store.status().entries.first { $0.table == "direct_rooms" }?.count == 0)
    }

    @Test func aMigratedStoreTakesTheNewWritesAndStaysSound() async throws {
        let dir = try schemaFourFixture()
        var store = try ChatStore.open(directory: dir, migrate: true)
        let ann = try #require(try store.user(named: "ann"))
        let coach = try #require(try store.user(named: "coach"))
        _ = try await store.editMessage(id: 6, text: "Morning, all!")
        _ = try await store.react(message: 9, user: ann.id, emoji: "👍", on: true)
        _ = try await store.deleteMessage(id: 7)
        let opened = try await store.openDirectRoom(DirectPair(ann.id, coach.id))
        #expect(opened.created && opened.room.name == "dm-1-2" && opened.room.kind == .direct)
        #expect(try store.check() == [])
        store.close()
        store = try ChatStore.open(directory: dir)
        defer { store.close() }
        #expect(try store.message(id: 6)?.text == "Morning, all!")
        #expect(try store.message(id: 7)?.deleted == true)
        #expect(try store.reactions(ofMessage: 9) == [Reaction(emoji: "👍", users: [ann.id])])
        #expect(try store.room(named: "dm-1-2")?.direct == DirectPair(1, 2))
        #expect(try store.check() == [])
    }
}
