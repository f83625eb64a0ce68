import ChatModel
import ChatStore
import Foundation
import TestSupport
import Testing

/// A copy of a fixture store (Tests/Fixtures/NAME/data.mdb) in a fresh directory.
private func fixture(_ name: String) throws -> String {
    let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/\(name)/data.mdb")
    let dir = temporaryDirectory()
    try FileManager.default.copyItem(atPath: file.path, toPath: (dir as NSString).appendingPathComponent("data.mdb"))
    return dir
}

@Suite("migrating a schema-6 store (before search) to schema 7")
struct SchemaSevenMigrationTests {
    func search(_ store: ChatStore, _ text: String, rooms: [String]) throws -> [MessageID] {
        let ids = try rooms.map { try #require(try store.room(named: $0)).id }
        return try store.search(SearchQuery.parse(text).get(), rooms: Set(ids), before: nil, limit: 50).messages.map(
            \.id)
    }

    @Test func theFixtureNeedsMigrating() throws {
        let dir = try fixture("schema6-store")
        #expect(throws: ChatStoreError.needsMigration(found: 6, supported: ChatStore.schemaVersion)) {
            try ChatStore.open(directory: dir)
        }
    }

    /// See Tests/Fixtures/schema6-store/README.md for what the store holds.
    @Test func everyLiveMessageIsFoundAndTheTombstoneIsNot() throws {
        let started = ContinuousClock.now
        let store = try ChatStore.open(directory: try fixture("schema6-store"), migrate: true)
        let took = ContinuousClock.now - started
        defer { store.close() }
        #expect(took < .seconds(5))
        #expect(try store.status().schemaVersion == ChatStore.schemaVersion)
        #expect(store.migrationNotes.contains("indexed 7 messages for search (37 postings)"), "\(store.migrationNotes)")
        #expect(try store.check() == [])
        let everywhere = ["general", "staff", "dm-2-3"]
        #expect(try search(store, "übung", rooms: everywhere) == [5])
        #expect(try search(store, "UBUNG 5x5", rooms: everywhere) == [5])
        #expect(try search(store, "creme brul", rooms: everywhere) == [6])
        // The edit is what is found, not the typo it replaced.
        #expect(try search(store, "leg day", rooms: everywhere) == [7, 6])
        #expect(try search(store, "dya", rooms: everywhere) == [])
        #expect(try search(store, "100kg", rooms: everywhere) == [7])
        // The deleted message's words are nowhere; the notice (a system message) is found.
        #expect(try search(store, "zebra", rooms: everywhere) == [])
        #expect(try search(store, "secret", rooms: everywhere) == [])
        #expect(try search(store, "monday clean", rooms: everywhere) == [14])
        // Joins are not indexed.
        #expect(try search(store, "joined", rooms: everywhere) == [])
        // Greek and Cyrillic, any case; rooms only when asked for.
        #expect(try search(store, "σοφια", rooms: everywhere) == [13, 12])
        #expect(try search(store, "ёлки", rooms: everywhere) == [13])
        #expect(try search(store, "squat rack", rooms: everywhere) == [12, 11])
        #expect(try search(store, "squat rack", rooms: ["general", "dm-2-3"]) == [12])
    }

    @Test func aSchemaFiveStoreComesThroughToSchemaSevenSearchable() throws {
        let store = try ChatStore.open(directory: try fixture("schema5-store"), migrate: true)
        defer { store.close() }
        #expect(try store.status().schemaVersion == ChatStore.schemaVersion)
        #expect(try store.check() == [])
        // 4 "Morning all!", 5 "Leg day" (edited from "Leg dya"), 6 a tombstone, 7 "Who is up for a 5k?".
        #expect(try search(store, "leg d", rooms: ["general"]) == [5])
        #expect(try search(store, "5k", rooms: ["general"]) == [7])
        #expect(try search(store, "oops", rooms: ["general"]) == [])
        #expect(try search(store, "see you", rooms: ["dm-2-3"]) == [10])
    }
}
