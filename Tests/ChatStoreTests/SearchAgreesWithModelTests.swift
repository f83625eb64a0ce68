import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import TestSupport
import Testing

/// The store's index answers what the plain in-memory repository (which reads every message)
/// answers, page by page, over a seeded mix of appends, edits and deletes and every kind of query:
/// a rare or a common exact term driving, the prefix's terms merged, a prefix standing for more
/// terms than are merged (`n…`), room subsets and page sizes.
@Suite("search: the store's index agrees with the in-memory model")
struct SearchAgreesWithModelTests {
    static let words = [
        "leg", "day", "squat", "squats", "squatting", "bench", "press", "oats", "Übung", "ubung", "crème", "brûlée",
        "5x5", "100kg", "run", "rest", "ΣΟΦΙΑ", "ёлки", "protein", "shake", "pr", "deadlift", "dead", "stretch",
    ]

    @Test(arguments: [UInt64(11), 12])
    func everyPageIsTheSame(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let store = try makeStore()
        defer { store.close() }
        let model = InMemoryChatRepository(clock: ChatTestSupport.TestClock())
        for room in try store.allRooms() {
            _ = try await model.createRoom(name: room.name, description: room.description, isPrivate: room.isPrivate)
        }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        _ = try await model.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let rooms = try store.allRooms().map(\.id)
        var live: [MessageID] = []
        for _ in 0..<1_400 {
            let pick = Int.random(in: 0..<100, using: &random)
            var words = (0..<Int.random(in: 1...5, using: &random)).map { _ in Self.words.randomElement(using: &random)!
            }
            if Bool.random(using: &random) { words.append("n\(Int.random(in: 0..<320, using: &random))") }
            let text = words.joined(separator: " ")
            if pick < 8, !live.isEmpty {
                let id = live.remove(at: Int.random(in: 0..<live.count, using: &random))
                let deleted = try await store.deleteMessage(id: id)
                #expect(try await model.deleteMessage(id: id).id == deleted.id)
            } else if pick < 16, let id = live.randomElement(using: &random) {
                _ = try await store.editMessage(id: id, text: text)
                _ = try await model.editMessage(id: id, text: text)
            } else {
                let room = rooms.randomElement(using: &random)!
                let type: MessageType = pick < 20 ? .system : pick < 22 ? .join : .text
                let new = NewMessage(roomID: room, userID: ann.id, text: text, type: type)
                let stored = try await store.append(new)
                #expect(try await model.append(new).id == stored.id)
                live.append(stored.id)
            }
        }
        #expect(try store.check() == [])

        for _ in 0..<250 {
            await Task.yield()  // the queries are synchronous work: let the suites' shared pool breathe
            let count = Int.random(in: 1...3, using: &random)
            var terms = (0..<count).map { _ in Self.words.randomElement(using: &random)! }
            switch Int.random(in: 0..<4, using: &random) {
            case 0: terms[terms.count - 1] = String(terms.last!.prefix(Int.random(in: 1...3, using: &random)))
            case 1: terms.append("n")
            case 2: terms.append("n\(Int.random(in: 0..<40, using: &random))")
            default: break
            }
            let query = try SearchQuery.parse(terms.joined(separator: " ")).get()
            let subset = Set(rooms.filter { _ in Int.random(in: 0..<4, using: &random) > 0 })
            let limit = Int.random(in: 1...15, using: &random)
            var before: MessageID? = nil
            var pages = 0
            repeat {
                // The clocks differ: ids, rooms, texts and the cursor are what must agree.
                let expected = Self.summary(try model.search(query, rooms: subset, before: before, limit: limit))
                let found = Self.summary(try store.search(query, rooms: subset, before: before, limit: limit))
                #expect(found == expected, "\(query) in \(subset.sorted()) before \(before ?? 0) limit \(limit)")
                guard found == expected else { break }
                before = found.last.flatMap { MessageID($0) }
                pages += 1
            } while before != nil && pages < 200
        }
    }

    /// Each message as "id room text", then the next page's cursor.
    static func summary(_ page: SearchPage) -> [String] {
        page.messages.map { "\($0.id) \($0.roomID) \($0.text)" } + [page.nextBefore.map { "\($0)" } ?? "end"]
    }

    /// A search looks at a bounded number of candidates per call: a page may come back short (even
    /// empty) with where to go on, and paging on still reaches every match.
    @Test func theWorkPerCallIsBoundedAndPagingGoesOn() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try #require(try store.room(named: "general")).id
        let nutrition = try #require(try store.room(named: "nutrition")).id
        let early = try await store.append(NewMessage(roomID: nutrition, userID: ann.id, text: "squat n1 early"))
        // 12,000 candidates in a room the search does not look in, with 400 terms starting "n".
        for chunk in 0..<12 {
            _ = try await store.appendBatch(
                (0..<1_000).map { i in
                    NewMessage(roomID: general, userID: ann.id, text: "squat n\((chunk * 1_000 + i) % 400) x")
                })
        }
        for text in ["squat", "n", "squat n"] {
            let query = try SearchQuery.parse(text).get()
            var before: MessageID? = nil
            var found: [MessageID] = []
            var calls = 0
            repeat {
                let page = try store.search(query, rooms: [nutrition], before: before, limit: 5)
                found += page.messages.map(\.id)
                before = page.nextBefore
                calls += 1
            } while before != nil && calls < 100
            #expect(found == [early.id], "\(text)")
            #expect(calls > 1, "\(text): the first call must have stopped short")
        }
    }
}
