import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

/// `check()` finds a posting missing or one too many (made with LMDB directly, as a bug or a
/// hand edit would), and `reindexSearch()` puts the index right.
@Suite("search index: check and reindex")
struct SearchIndexRepairTests {
    typealias Postings = MultiDatabase<String, Key2<UInt64, UInt64>>

    /// A closed store where ann wrote "leg day" and "arm day" in general.
    func makeFixture() async throws -> (dir: String, legDay: Message, armDay: Message) {
        let dir = temporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general"))
        let legDay = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "leg day"))
        let armDay = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "arm day"))
        #expect(try store.check() == [])
        return (dir, legDay, armDay)
    }

    /// Changes the closed store's postings with LMDB directly.
    func damage(_ dir: String, _ change: (Transaction, Postings) throws -> Void) throws {
        var options = Environment.Options()
        options.maxDatabases = 32
        let environment = try Environment(path: dir, options: options)
        defer { environment.close() }
        let db: Postings = try environment.multiDatabase(named: "search_terms", create: false)
        try environment.write { txn in try change(txn, db) }
    }

    func checkAndRepair(_ dir: String) async throws -> (before: [String], after: [String], found: [MessageID]) {
        let store = try makeStore(dir)
        defer { store.close() }
        let before = try store.check()
        let rebuilt = try await store.reindexSearch()
        #expect(rebuilt.messages == 2 && rebuilt.postings == 4)
        let general = try #require(try store.room(named: "general"))
        let found = try store.search(
            SearchQuery.parse("day").get(), rooms: [general.id], before: nil, limit: 10
        ).messages.map(\.id)
        return (before, try store.check(), found)
    }

    @Test func aMissingPostingIsReportedAndReindexPutsItBack() async throws {
        let f = try await makeFixture()
        try damage(f.dir) { txn, db in
            let deleted = try txn.delete(db, "leg", Key2(f.legDay.id, f.legDay.roomID))
            #expect(deleted)
        }
        let result = try await checkAndRepair(f.dir)
        #expect(result.before == ["message \(f.legDay.id) is missing from search_terms under 'leg'"])
        #expect(result.after == [])
    }

    @Test func anExtraPostingIsReportedAndReindexRemovesIt() async throws {
        let f = try await makeFixture()
        try damage(f.dir) { txn, db in
            try txn.put(db, "squat", Key2(f.armDay.id, f.armDay.roomID))
            try txn.put(db, "day", Key2(999, f.armDay.roomID))
            // The right message under another room.
            try txn.put(db, "leg", Key2(f.legDay.id, 3))
        }
        let result = try await checkAndRepair(f.dir)
        #expect(
            result.before == [
                "search_terms posting 'day' → message 999 of room \(f.armDay.roomID) points at a missing message or another room",
                "search_terms posting 'leg' → message \(f.legDay.id) of room 3 points at a missing message or another room",
                "search_terms posting 'squat' → message \(f.armDay.id): the message does not hold the term",
            ])
        #expect(result.after == [])
        #expect(result.found == [f.armDay.id, f.legDay.id])
    }

    @Test func aTombstonesPostingIsReported() async throws {
        let f = try await makeFixture()
        let store = try makeStore(f.dir)
        _ = try await store.deleteMessage(id: f.armDay.id)
        store.close()
        try damage(f.dir) { txn, db in try txn.put(db, "arm", Key2(f.armDay.id, f.armDay.roomID)) }
        let reopened = try makeStore(f.dir)
        defer { reopened.close() }
        #expect(
            try reopened.check() == [
                "search_terms posting 'arm' → message \(f.armDay.id): the message is not searchable"
            ])
    }
}
