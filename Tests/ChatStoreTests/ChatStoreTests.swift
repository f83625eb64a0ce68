import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

func makeStore(_ dir: String = temporaryDirectory(), migrate: Bool = false) throws -> ChatStore {
    try ChatStore.open(directory: dir, migrate: migrate)
}

@Suite struct ChatStoreTests {
    @Test func aNewStoreHasTheSeedRoomsAndSurvivesReopening() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        #expect(try store.allRooms().map(\.name) == ["general", "workout-tips", "nutrition", "progress"])
        #expect(try store.room(named: "nutrition")?.description == "Discuss nutrition and meal planning")
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .admin, passwordHash: "h")
        let general = try store.room(named: "general")!
        let sent = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "hello"))
        store.close()
        store = try makeStore(dir)
        defer { store.close() }
        #expect(try store.allRooms().count == 4)
        #expect(try store.message(id: sent.id) == sent)
        #expect(try store.user(named: "ann") == ann)
    }

    @Test func namesAreUnique() async throws {
        let store = try makeStore()
        defer { store.close() }
        _ = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        await #expect(throws: RepositoryError.userExists("ann")) {
            try await store.createUser(name: "ann", displayName: "Other", role: .member, passwordHash: nil)
        }
        await #expect(throws: RepositoryError.roomExists("general")) {
            try await store.createRoom(name: "general", description: "again", isPrivate: false)
        }
        #expect(try store.check() == [])
    }

    @Test func membershipStoresJoinAndLeaveMessagesOnce() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let room = try store.room(named: "progress")!
        let first = try await store.join(room: room.id, user: ann.id)
        #expect(first.joinMessage?.type == .join)
        let again = try await store.join(room: room.id, user: ann.id)
        #expect(again.joinMessage == nil)
        #expect(try store.rooms(ofUser: ann.id) == [room.id])
        #expect(try store.participants(ofRoom: room.id).map(\.userID) == [ann.id])
        let left = try await store.leave(room: room.id, user: ann.id)
        #expect(left?.type == .leave)
        #expect(try await store.leave(room: room.id, user: ann.id) == nil)
        #expect(try store.rooms(ofUser: ann.id).isEmpty)
        #expect(try store.latestMessages(room: room.id, limit: 50).map(\.type) == [.join, .leave])
        #expect(try store.check() == [])
    }

    @Test func appendingToAMissingRoomFailsAndWritesNothing() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        await #expect(throws: RepositoryError.self) {
            try await store.append(NewMessage(roomID: 999, userID: ann.id, text: "lost"))
        }
        #expect(try store.status().entries.first { $0.table == "messages" }?.count == 0)
    }

    @Test func paginationEdges() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let general = try store.room(named: "general")!.id
        let other = try store.room(named: "nutrition")!.id
        #expect(try store.latestMessages(room: general, limit: 50).isEmpty)  // empty room

        var ids: [MessageID] = []
        for index in 0..<120 {
            ids.append(try await store.append(NewMessage(roomID: general, userID: ann.id, text: "m\(index)")).id)
            _ = try await store.append(NewMessage(roomID: other, userID: ann.id, text: "noise"))
        }
        #expect(try store.latestMessages(room: general, limit: 50).map(\.id) == Array(ids.suffix(50)))
        #expect(try store.latestMessages(room: general, limit: 500).map(\.id) == ids)
        // an exact page
        #expect(try store.messages(room: general, before: ids[50], limit: 50).map(\.id) == Array(ids[0..<50]))
        #expect(try store.messages(room: general, before: ids[10], limit: 50).map(\.id) == Array(ids[0..<10]))
        #expect(try store.messages(room: general, before: ids[0], limit: 50).isEmpty)  // before the first
        #expect(try store.messages(room: general, after: ids[69], limit: 50).map(\.id) == Array(ids[70..<120]))
        #expect(try store.messages(room: general, after: ids.last!, limit: 50).isEmpty)  // after the last
        #expect(try store.messages(room: general, after: 0, limit: 3).map(\.id) == Array(ids[0..<3]))
        // A cursor from another room still pages by id within this room.
        let foreign = try store.latestMessages(room: other, limit: 1)[0].id
        #expect(try store.messages(room: general, before: foreign, limit: 200).map(\.id) == ids.filter { $0 < foreign })
    }

    @Test func concurrentAppendsAreGroupCommittedWithIncreasingIds() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        let batches = BatchRecorder()
        store.onCommit = { size, _ in batches.record(size) }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let room = try store.room(named: "general")!.id
        let writer = store
        let sent = try await withThrowingTaskGroup(of: Message.self) { group in
            for index in 0..<400 {
                group.addTask { try await writer.append(NewMessage(roomID: room, userID: ann.id, text: "#\(index)")) }
            }
            return try await group.reduce(into: [Message]()) { $0.append($1) }
        }
        #expect(Set(sent.map(\.id)).count == 400)
        #expect(batches.largest > 1)  // several appends shared one commit
        store.close()
        store = try makeStore(dir)
        defer { store.close() }
        let stored = try store.latestMessages(room: room, limit: 1000)
        #expect(stored.count == 400)
        #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.id < $1.id && $0.createdAt <= $1.createdAt })
        #expect(try store.check() == [])
    }

    @Test func theWriterAnswersPings() async throws {
        let store = try makeStore()
        defer { store.close() }
        try await store.ping()
    }

    @Test func sessionsAreStoredByHashAndRevocable() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let hashes = (0..<3).map { index in [UInt8](repeating: UInt8(index), count: 32) }
        for hash in hashes { try await store.createSession(Session(tokenHash: hash, userID: ann.id, expiresAt: 42)) }
        #expect(try store.session(tokenHash: hashes[1])?.userID == ann.id)
        try await store.deleteSession(tokenHash: hashes[1])
        #expect(try store.session(tokenHash: hashes[1]) == nil)
        #expect(try await store.deleteSessions(ofUser: ann.id) == 2)
        #expect(try store.session(tokenHash: hashes[0]) == nil)
    }

    @Test func exportWalksEveryMessageOldestFirstInChunks() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let rooms = try store.allRooms().map(\.id)
        var expected: [MessageID] = []
        for index in 0..<25 {
            expected.append(
                try await store.append(NewMessage(roomID: rooms[index % 4], userID: ann.id, text: "\(index)")).id)
        }
        var all: [MessageID] = []
        try store.forEachMessage(chunk: 7) { all.append($0.id) }
        #expect(all == expected)
        var one: [MessageID] = []
        try store.forEachMessage(room: rooms[1], chunk: 2) { one.append($0.id) }
        #expect(one == expected.enumerated().filter { $0.offset % 4 == 1 }.map(\.element))
    }
}

// @unchecked Sendable: `sizes` is only touched under `lock`.
final class BatchRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [Int] = []
    func record(_ size: Int) { lock.withLock { sizes.append(size) } }
    var largest: Int { lock.withLock { sizes.max() ?? 0 } }
}
