import ChatModel
import ChatStore
import Foundation
import TestSupport
import Testing

/// A copy of the schema-5 store fitchat wrote before issue 15 (see Fixtures/schema5-store/README.md).
private func schemaFiveFixture() throws -> String {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/schema5-store/data.mdb")
    let dir = temporaryDirectory()
    try FileManager.default.copyItem(atPath: fixture.path, toPath: (dir as NSString).appendingPathComponent("data.mdb"))
    return dir
}

@Suite("migrating a schema-5 store (before read state) to schema 6")
struct SchemaSixMigrationTests {
    @Test func theFixtureNeedsMigrating() throws {
        let dir = try schemaFiveFixture()
        #expect(throws: ChatStoreError.needsMigration(found: 5, supported: ChatStore.schemaVersion)) {
            try ChatStore.open(directory: dir)
        }
    }

    @Test func everyoneStartsReadToTheEndAndTheCheckPasses() async throws {
        let store = try ChatStore.open(directory: try schemaFiveFixture(), migrate: true)
        defer { store.close() }
        #expect(try store.status().schemaVersion == ChatStore.schemaVersion)
        #expect(try store.check() == [])
        #expect(store.migrationNotes.contains { $0.hasPrefix("counted 12 messages for unread counts") })
        let ann = try #require(try store.user(named: "ann"))
        let rooms = try store.rooms(ofUser: ann.id)
        let states = try store.readStates(user: ann.id, rooms: rooms, cap: 1000)
        #expect(states.count == 3)
        for (room, state) in states {
            #expect(state.unread == 0 && state.mentions == 0 && state.lastRead == state.lastID, "room \(room)")
        }
        // Counting goes on from where the migration counted: texts after the position are unread.
        let general = try #require(try store.room(named: "general"))
        let coach = try #require(try store.user(named: "coach"))
        _ = try await store.append(NewMessage(roomID: general.id, userID: coach.id, text: "one more"))
        #expect(try store.readStates(user: ann.id, rooms: [general.id], cap: 1000)[general.id]?.unread == 1)
        #expect(try store.check() == [])
    }

    @Test func earlierChangesEnteredTheChangeLogs() throws {
        let store = try ChatStore.open(directory: try schemaFiveFixture(), migrate: true)
        defer { store.close() }
        let general = try #require(try store.room(named: "general"))
        // A client that last saw message 7 before the upgrade learns of the edit (5), the
        // deletion (6) and the reactions (7) made before it, and of message 12.
        let recovery = try #require(try store.recovery(room: general.id, since: 7, limit: 1000))
        #expect(recovery.messages.map(\.id) == [12])
        #expect(recovery.updated.map(\.id) == [5, 6, 7])
        #expect(recovery.updated[0].text == "Leg day" && recovery.updated[1].deleted)
        #expect(try store.reactions(ofMessage: 7).first?.users.count == 2)
        // Messages and their text as they were.
        #expect(try store.latestMessages(room: general.id, limit: 50).map(\.id) == [1, 2, 3, 4, 5, 6, 7, 12])
        #expect(try store.message(id: 11)?.text == "Yes 👍")
    }
}
