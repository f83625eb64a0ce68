import ChatModel
import ChatStore
import Foundation
import LMDB
import Synchronization
import TestSupport
import Testing

/// The search index of the store (schema 7): written with each append, edit and delete, answered
/// newest first, checked by `check()` both ways and rebuilt by `reindexSearch()`.
@Suite("search in the store")
struct SearchStoreTests {
    struct Fixture {
        let dir: String
        let store: ChatStore
        let ann: User
        let general: Room, nutrition: Room
    }

    func fixture(_ dir: String = temporaryDirectory()) async throws -> Fixture {
        let store = try makeStore(dir)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        return Fixture(
            dir: dir, store: store, ann: ann, general: try #require(try store.room(named: "general")),
            nutrition: try #require(try store.room(named: "nutrition")))
    }

    func search(_ store: ChatStore, _ text: String, rooms: [Room], before: MessageID? = nil, limit: Int = 20) throws
        -> SearchPage
    {
        try store.search(SearchQuery.parse(text).get(), rooms: Set(rooms.map(\.id)), before: before, limit: limit)
    }

    func texts(_ page: SearchPage) -> [String] { page.messages.map(\.text) }

    @Test func anAppendIsFoundByEveryWordAndTheLastAsAPrefix() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let rooms = [f.general, f.nutrition]
        _ = try await f.store.join(room: f.general.id, user: f.ann.id)  // "joined the room": not indexed
        let first = try await f.store.append(
            NewMessage(roomID: f.general.id, userID: f.ann.id, text: "Übung: 5x5 Squats"))
        let second = try await f.store.append(
            NewMessage(roomID: f.nutrition.id, userID: f.ann.id, text: "squats then oats", type: .system))
        #expect(texts(try search(f.store, "squats", rooms: rooms)) == ["squats then oats", "Übung: 5x5 Squats"])
        #expect(try search(f.store, "squ", rooms: rooms).messages.map(\.id) == [second.id, first.id])
        #expect(try search(f.store, "ubung squ", rooms: rooms).messages == [first])
        #expect(try search(f.store, "UBU", rooms: rooms).messages == [first])
        #expect(try search(f.store, "5x5", rooms: rooms).messages == [first])
        // Only the last word is a prefix; the others must be whole.
        #expect(try search(f.store, "squ oats", rooms: rooms).messages == [])
        #expect(try search(f.store, "joined", rooms: rooms).messages == [])
        #expect(try search(f.store, "squats", rooms: [f.nutrition]).messages == [second])
        #expect(try search(f.store, "squats", rooms: []).messages == [])
        #expect(try f.store.check() == [])
    }

    @Test func editsAndDeletesMoveThePostingsInTheirOwnWrite() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let rooms = [f.general]
        let message = try await f.store.append(NewMessage(roomID: f.general.id, userID: f.ann.id, text: "leg day"))
        let other = try await f.store.append(NewMessage(roomID: f.general.id, userID: f.ann.id, text: "leg press"))
        _ = try await f.store.editMessage(id: message.id, text: "arm day")
        #expect(try search(f.store, "leg", rooms: rooms).messages.map(\.id) == [other.id])
        #expect(try search(f.store, "arm day", rooms: rooms).messages.map(\.id) == [message.id])
        #expect(try search(f.store, "day", rooms: rooms).messages.first?.text == "arm day")
        _ = try await f.store.deleteMessage(id: message.id)
        #expect(try search(f.store, "arm", rooms: rooms).messages == [])
        #expect(try search(f.store, "day", rooms: rooms).messages == [])
        #expect(try f.store.check() == [])
        #expect(try f.store.status().entries.first { $0.table == "search_terms" }?.count == 2)
    }

    /// Defect (issue 16 attack): an exact word with a prefix of more than 16 words (`xx s`) walked
    /// up to 10,000 postings reading and normalising each candidate's text — 1.4 s of CPU in a
    /// debug build for 3,000 long Cyrillic messages, from any member. Reading a message's words
    /// now shares the message scan's budget: 2,000 per call, and paging goes on from there.
    @Test func readingCandidatesWordsIsBoundedLikeTheScan() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let rooms = [f.general]
        let words = (0..<300).map { "s\($0)" }.joined(separator: " ")
        let oldest = try await f.store.append(NewMessage(roomID: f.general.id, userID: f.ann.id, text: "xx " + words))
        _ = try await f.store.appendBatch(
            (0..<2_500).map { _ in NewMessage(roomID: f.general.id, userID: f.ann.id, text: "xx привет мир") })
        let first = try search(f.store, "xx s", rooms: rooms)
        #expect(first.messages.isEmpty)
        let stop = try #require(first.nextBefore)
        #expect(stop > oldest.id)
        let second = try search(f.store, "xx s", rooms: rooms, before: stop)
        #expect(second.messages.map(\.id) == [oldest.id] && second.nextBefore == nil)
    }

    /// And by the bytes normalised: 200 messages of 2,000 Cyrillic letters (3.6 KB each) cost
    /// what 2,000 short ones do, so a call stops after 512 KiB of text, walking or scanning.
    @Test func readingCandidatesWordsIsBoundedInBytes() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let rooms = [f.general]
        let words = (0..<300).map { "s\($0)" }.joined(separator: " ")
        let oldest = try await f.store.append(NewMessage(roomID: f.general.id, userID: f.ann.id, text: "xx " + words))
        let long = String(String(repeating: "привет мир йога ", count: 130).prefix(1_990))
        let batch = try await f.store.appendBatch(
            (0..<200).map { _ in NewMessage(roomID: f.general.id, userID: f.ann.id, text: "xx " + long) })
        for query in ["xx s", "s"] {
            var before: MessageID? = nil
            var pages = 0
            var found: [MessageID] = []
            repeat {
                let page = try search(f.store, query, rooms: rooms, before: before)
                found += page.messages.map(\.id)
                before = page.nextBefore
                pages += 1
            } while before != nil && pages < 10
            #expect(found == [oldest.id] && pages == 2, "\(query): \(pages) pages")
        }
        #expect(batch.count == 200)
    }

    /// Every snapshot a reader takes while messages are appended, edited and deleted is sound:
    /// the postings never lag behind (or run ahead of) the messages they index.
    @Test func everySnapshotHasTheIndexOfItsMessages() async throws {
        let f = try await fixture()
        defer { f.store.close() }
        let done = Mutex(false)
        let writes = Task {
            defer { done.withLock { $0 = true } }
            var random = SeededGenerator(seed: 7)
            var live: [MessageID] = []
            for step in 0..<150 {
                let words = ["leg", "day", "squat", "Übung", "oats", "run", "5x5"]
                let text = (0..<3).map { _ in words.randomElement(using: &random)! }.joined(separator: " ")
                if step % 5 == 3, let id = live.popLast() {
                    _ = try await f.store.deleteMessage(id: id)
                } else if step % 5 == 4, let id = live.last {
                    _ = try await f.store.editMessage(id: id, text: text + " edited")
                } else {
                    let new = NewMessage(roomID: f.general.id, userID: f.ann.id, text: text)
                    live.append(try await f.store.append(new).id)
                }
            }
        }
        var checks = 0
        while !done.withLock({ $0 }) {
            #expect(try f.store.check() == [])
            checks += 1
            await Task.yield()
        }
        try await writes.value
        #expect(checks > 0)
        #expect(try f.store.check() == [])
    }
}
