import ChatModel
import ChatTestSupport
import Testing

/// The fake must keep the `ChatRepository` contract, or the service tests prove nothing.
@Suite("InMemoryChatRepository keeps the repository contract")
struct InMemoryRepositoryTests {
    let clock = TestClock()

    @Test func userNamesAreFoldedAndDisplayNamesCannotImpersonate() async throws {
        let repository = InMemoryChatRepository(clock: clock)
        let alice = try await repository.createUser(
            name: "alice", displayName: "Alice", role: .member, passwordHash: nil)
        await #expect(throws: RepositoryError.userExists("alice")) {
            try await repository.createUser(name: "ALICE", displayName: "A", role: .member, passwordHash: nil)
        }
        #expect(try repository.user(named: "ＡＬＩＣＥ") == alice)
        await #expect(throws: RepositoryError.displayNameTaken("alice")) {
            try await repository.createUser(name: "mallory", displayName: "alice", role: .member, passwordHash: nil)
        }
        // One's own name, in any case, is fine.
        _ = try await repository.createUser(name: "bob", displayName: "BOB", role: .member, passwordHash: nil)
        var renamed = alice
        renamed.displayName = "Bob"
        await #expect(throws: RepositoryError.displayNameTaken("Bob")) { try await repository.updateUser(renamed) }
    }

    @Test func idsStrictlyIncreaseAndHistoryIsOldestFirst() async throws {
        let repository = InMemoryChatRepository(clock: clock)
        let room = try await repository.createRoom(name: "general", description: "", isPrivate: false)
        let user = try await repository.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        var ids: [MessageID] = []
        for n in 0..<5 {
            ids.append(try await repository.append(NewMessage(roomID: room.id, userID: user.id, text: "\(n)")).id)
        }
        #expect(ids == ids.sorted() && Set(ids).count == 5)
        #expect(try repository.latestMessages(room: room.id, limit: 2).map(\.text) == ["3", "4"])
        #expect(try repository.messages(room: room.id, before: ids[2], limit: 5).map(\.text) == ["0", "1"])
        #expect(try repository.messages(room: room.id, after: ids[2], limit: 1).map(\.text) == ["3"])
    }

    @Test func joinAndLeaveStoreTheirMessagesAndAppendsMoveLastActive() async throws {
        let repository = InMemoryChatRepository(clock: clock)
        let room = try await repository.createRoom(name: "general", description: "", isPrivate: false)
        let user = try await repository.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let first = try await repository.join(room: room.id, user: user.id)
        #expect(first.joinMessage?.type == .join)
        #expect(try await repository.join(room: room.id, user: user.id).joinMessage == nil)
        clock.advance(seconds: 3)
        let message = try await repository.append(NewMessage(roomID: room.id, userID: user.id, text: "hi"))
        #expect(try repository.participant(room: room.id, user: user.id)?.lastActive == message.createdAt)
        #expect(try repository.rooms(ofUser: user.id) == [room.id])
        #expect(try await repository.leave(room: room.id, user: user.id)?.type == .leave)
        #expect(try await repository.leave(room: room.id, user: user.id) == nil)
        #expect(try repository.rooms(ofUser: user.id).isEmpty)
    }

    @Test func sessions() async throws {
        let repository = InMemoryChatRepository(clock: clock)
        try await repository.createSession(Session(tokenHash: [1], userID: 7, expiresAt: 1))
        try await repository.createSession(Session(tokenHash: [2], userID: 7, expiresAt: 1))
        #expect(try repository.session(tokenHash: [1])?.userID == 7)
        try await repository.deleteSession(tokenHash: [1])
        #expect(try repository.session(tokenHash: [1]) == nil)
        #expect(try await repository.deleteSessions(ofUser: 7) == 1)
    }
}
