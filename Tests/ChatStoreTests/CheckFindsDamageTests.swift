import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

/// `check()` on stores damaged behind the store's back (an index entry deleted with the LMDB layer
/// directly, as a bug, a torn copy or a hand edit would leave them): each must be reported, by name.
/// A `check()` that only ever answered `[]` on healthy stores proved nothing.
@Suite struct CheckFindsDamageTests {
    struct Fixture {
        let dir: String
        let ann: User
        let general: Room
        let join: Message
        let text: Message
    }

    /// A closed store with one user who joined `general` (a `join` message) and wrote one message.
    func makeFixture() async throws -> Fixture {
        let dir = temporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try store.room(named: "general")!
        _ = try await store.join(room: general.id, user: ann.id)
        let text = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "leg day"))
        let messages = try store.latestMessages(room: general.id, limit: 10)
        #expect(messages.count == 2)
        let join = try #require(messages.first { $0.id != text.id })
        #expect(try store.check() == [], "the fixture itself must be sound")
        return Fixture(dir: dir, ann: ann, general: general, join: join, text: text)
    }

    /// Deletes `key` from the named table of the closed store in `dir`, with LMDB directly.
    func delete(_ dir: String, from table: String, key: [UInt8]) throws {
        var options = Environment.Options()
        options.maxDatabases = 16
        let environment = try Environment(path: dir, options: options)
        defer { environment.close() }
        let db = try environment.database(named: table, create: false, as: (Bytes.self, Bytes.self))
        let deleted = try environment.write { txn in try txn.delete(db, Bytes(key)) }
        #expect(deleted, "no key \(key) in \(table)")
    }

    func problems(_ dir: String, limit: Int = 100) throws -> [String] {
        let store = try makeStore(dir)
        defer { store.close() }
        return try store.check(limit: limit)
    }

    func be(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    func be(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    func roomTimeKey(_ message: Message) -> [UInt8] {
        // room · created_at · id, each 8 bytes big-endian (the same order as the index's Key3).
        Key3<UInt64, Int64, UInt64>(message.roomID, message.createdAt, message.id).encoded
    }

    @Test func aMessageMissingFromRoomTimeIsReported() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "room_time", key: roomTimeKey(f.text))
        let found = try problems(f.dir)
        #expect(found.first == "message \(f.text.id) is missing from room_time", "\(found)")
        // Its sender had read up to it: that read position now points at nothing countable.
        #expect(found.dropFirst().allSatisfy { $0.contains("has read up to message \(f.text.id)") }, "\(found)")
    }

    @Test func aRoomTimeEntryWithoutItsMessageIsReported() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "messages", key: be(f.text.id))
        let found = try problems(f.dir)
        #expect(found.count == 4, "\(found)")
        #expect(found.first?.hasPrefix("room_time entry (room \(f.general.id), ") == true, "\(found)")
        #expect(found.dropFirst().first?.contains("has read up to message \(f.text.id)") == true, "\(found)")
        // Its search postings ("leg", "day") point at nothing either.
        #expect(
            found.suffix(2) == [
                "search_terms posting 'day' → message \(f.text.id) of room \(f.general.id) points at a missing message or another room",
                "search_terms posting 'leg' → message \(f.text.id) of room \(f.general.id) points at a missing message or another room",
            ], "\(found)")
        #expect(
            found.first?.hasSuffix("message \(f.text.id)) points at a missing or different message") == true, "\(found)"
        )
    }

    @Test func aUserMissingFromUsersByNameIsReported() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "users_by_name", key: Array("ann".utf8))
        #expect(try problems(f.dir) == ["user \(f.ann.id) 'ann' is missing from users_by_name"])
    }

    @Test func aRoomMissingFromRoomsByNameIsReported() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "rooms_by_name", key: Array("general".utf8))
        #expect(try problems(f.dir) == ["room \(f.general.id) 'general' is missing from rooms_by_name"])
    }

    @Test func aParticipantMissingFromUserRoomsIsReported() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "user_rooms", key: be(f.ann.id) + be(f.general.id))
        #expect(
            try problems(f.dir) == ["participant (room \(f.general.id), user \(f.ann.id)) is missing from user_rooms"])
    }

    @Test func aUserRoomsEntryWithoutItsParticipantIsReported() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "participants", key: be(f.general.id) + be(f.ann.id))
        #expect(
            try problems(f.dir) == [
                "user_rooms entry (user \(f.ann.id), room \(f.general.id)) has no participant record"
            ])
    }

    @Test func everyProblemIsReportedUpToTheLimit() async throws {
        let f = try await makeFixture()
        try delete(f.dir, from: "room_time", key: roomTimeKey(f.join))
        try delete(f.dir, from: "room_time", key: roomTimeKey(f.text))
        let found = try problems(f.dir)
        #expect(
            Array(found.prefix(2)) == [
                "message \(f.join.id) is missing from room_time", "message \(f.text.id) is missing from room_time",
            ], "\(found)")
        let first = try problems(f.dir, limit: 1)
        #expect(first == ["message \(f.join.id) is missing from room_time"], "\(first)")
    }

    @Test func aReportMissingFromItsIndexIsFound() async throws {
        let f = try await makeFixture()
        let store = try makeStore(f.dir)
        let bob = try await store.createUser(name: "bob", displayName: "Bob", role: .member, passwordHash: nil)
        let filing = try await store.fileReport(room: f.general.id, message: f.text.id, reporter: bob.id, reason: "x")
        store.close()
        try delete(f.dir, from: "reports_by_message", key: be(f.text.id) + be(bob.id))
        #expect(try problems(f.dir) == ["report \(filing.report.id) is missing from reports_by_message"])
    }
}
