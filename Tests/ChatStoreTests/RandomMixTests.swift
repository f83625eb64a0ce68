import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

/// A long seeded mix of every kind of write, checked against a plain in-memory model and against
/// the store's own index check, with a reopen half-way.
@Suite struct RandomMixTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func indexesStayConsistentUnderARandomMixOfOperations(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        var users: [UserID] = []
        var rooms = try store.allRooms().map(\.id)
        var members: Set<[UInt64]> = []  // [room, user]
        var messagesPerRoom: [RoomID: Int] = [:]
        var sessions: [[UInt8]] = []

        for step in 0..<1500 {
            if step == 750 {
                store.close()
                store = try makeStore(dir)
            }
            let pick = Int.random(in: 0..<100, using: &random)
            switch pick {
            case 0..<8:
                let user = try await store.createUser(
                    name: "u\(step)", displayName: "User \(step)", role: .member, passwordHash: nil)
                users.append(user.id)
            case 8..<11:
                let room = try await store.createRoom(
                    name: "r\(step)", description: "room \(step)", isPrivate: Bool.random(using: &random))
                rooms.append(room.id)
            case 11..<35 where !users.isEmpty:
                let room = rooms.randomElement(using: &random)!
                let user = users.randomElement(using: &random)!
                let membership = try await store.join(room: room, user: user)
                let isNew = members.insert([room, user]).inserted
                #expect((membership.joinMessage != nil) == isNew)
                if isNew { messagesPerRoom[room, default: 0] += 1 }
            case 35..<45 where !members.isEmpty:
                let pair = members.randomElement(using: &random)!
                let left = try await store.leave(room: pair[0], user: pair[1])
                #expect(left?.type == .leave)
                members.remove(pair)
                messagesPerRoom[pair[0], default: 0] += 1
            case 45..<90 where !users.isEmpty:
                let room = rooms.randomElement(using: &random)!
                let user = users.randomElement(using: &random)!
                _ = try await store.append(NewMessage(roomID: room, userID: user, text: "m\(step)"))
                messagesPerRoom[room, default: 0] += 1
            case 90..<95 where !users.isEmpty:
                var hash = [UInt8](repeating: 0, count: 32)
                for i in hash.indices { hash[i] = UInt8.random(in: 0...255, using: &random) }
                try await store.createSession(
                    Session(tokenHash: hash, userID: users.randomElement(using: &random)!, expiresAt: .max))
                sessions.append(hash)
            case 95..<100 where !sessions.isEmpty:
                let hash = sessions.remove(at: Int.random(in: 0..<sessions.count, using: &random))
                try await store.deleteSession(tokenHash: hash)
            default:
                break
            }
        }
        defer { store.close() }

        #expect(try store.check() == [])
        for room in rooms {
            let stored = try store.participants(ofRoom: room).map { [room, $0.userID] }
            #expect(Set(stored) == members.filter { $0[0] == room })
            var count = 0
            var previous: Message?
            try store.forEachMessage(room: room) { message in
                if let previous {
                    #expect(
                        previous.createdAt < message.createdAt
                            || (previous.createdAt == message.createdAt && previous.id < message.id))
                }
                previous = message
                count += 1
            }
            #expect(count == messagesPerRoom[room, default: 0])
        }
        for user in users {
            #expect(Set(try store.rooms(ofUser: user)) == Set(members.filter { $0[1] == user }.map { $0[0] }))
        }
        for hash in sessions { #expect(try store.session(tokenHash: hash) != nil) }
    }
}
