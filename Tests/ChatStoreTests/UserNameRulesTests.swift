import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

@Suite struct UserNameRulesTests {
    @Test func namesAreUniqueAfterFoldingAndFoundInAnyCase() async throws {
        let store = try makeStore()
        defer { store.close() }
        let alice = try await store.createUser(name: "alice", displayName: "Alice", role: .member, passwordHash: "h")
        // The refusal names the account that holds the name, as it is spelt.
        await #expect(throws: RepositoryError.userExists("alice")) {
            try await store.createUser(name: "ALICE", displayName: "Eve", role: .member, passwordHash: nil)
        }
        #expect(try store.user(named: "Alice") == alice)
        #expect(try store.user(named: "alice")?.name == "alice")
        #expect(try store.check() == [])
    }

    @Test func aDisplayNameMayNotBeAnotherUsersName() async throws {
        let store = try makeStore()
        defer { store.close() }
        let admin = try await store.createUser(name: "admin", displayName: "Gym Admin", role: .admin, passwordHash: "h")
        await #expect(throws: RepositoryError.displayNameTaken("ADMIN")) {
            try await store.createUser(name: "mallory", displayName: "ADMIN", role: .member, passwordHash: nil)
        }
        var mallory = try await store.createUser(
            name: "mallory", displayName: "Mallory", role: .member, passwordHash: nil)
        mallory.displayName = "Admin"
        await #expect(throws: RepositoryError.displayNameTaken("Admin")) { try await store.updateUser(mallory) }
        // Its own name in another case is fine.
        var own = admin
        own.displayName = "ADMIN"
        try await store.updateUser(own)
        #expect(try store.user(named: "admin")?.displayName == "ADMIN")
    }

    @Test func theHostAppMarkIsStored() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        let maria = try await store.createUser(
            name: "maria", displayName: "Maria", role: .member, passwordHash: nil, hostApp: true)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: "h")
        store.close()
        store = try makeStore(dir)
        defer { store.close() }
        #expect(try store.user(id: maria.id)?.hostApp == true)
        #expect(try store.user(id: ann.id)?.hostApp == false)
    }

    /// A schema-2 store (exact-name index, version-1 user records) with names that fold alike.
    @Test func migrationFoldsNamesRenamesCollisionsAndMarksTokenUsers() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        let general = try store.room(named: "general")!
        store.close()
        try writeSchemaTwoUsers(
            dir,
            [
                (1, "alice", "Alice", 0, "hash-1"), (2, "ALICE", "Fake Alice", 0, nil), (3, "coach", "Coach", 1, nil),
                (4, "maria", "Maria", 0, nil),
            ])
        #expect(throws: ChatStoreError.needsMigration(found: 2, supported: ChatStore.schemaVersion)) {
            try makeStore(dir)
        }
        store = try makeStore(dir, migrate: true)
        defer { store.close() }
        #expect(try store.allUsers().count == 4)
        #expect(try store.user(named: "alice")?.id == 1)
        #expect(try store.user(id: 2)?.name == "ALICE-2")
        #expect(try store.user(named: "alice-2")?.id == 2)
        // Token users without a password keep host-app sign-in; password accounts and admins do not.
        #expect(try store.allUsers().sorted { $0.id < $1.id }.map(\.hostApp) == [false, true, false, true])
        #expect(store.migrationNotes.contains { $0.contains("ALICE") && $0.contains("ALICE-2") })
        #expect(try store.check() == [])
        // The store works on: the renamed user can still post.
        _ = try await store.join(room: general.id, user: 2)
        #expect(try store.check() == [])
    }
}

/// Writes users as fitchat with schema 2 did: version-1 records, users_by_name keyed by the exact name.
private func writeSchemaTwoUsers(_ dir: String, _ users: [(UInt64, String, String, UInt8, String?)]) throws {
    var options = Environment.Options()
    options.maxDatabases = 16
    let environment = try Environment(path: dir, options: options)
    defer { environment.close() }
    let meta = try environment.database(named: "meta", create: false, as: (String.self, Bytes.self))
    let records = try environment.database(named: "users", create: false, as: (UInt64.self, Bytes.self))
    let byName = try environment.database(named: "users_by_name", create: false, as: (String.self, UInt64.self))
    try environment.write { txn in
        for (id, name, display, role, hash) in users {
            var bytes: [UInt8] = [1]
            id.encode(into: &bytes)
            for text in [name, display] {
                UInt32(text.utf8.count).encode(into: &bytes)
                bytes += Array(text.utf8)
            }
            bytes.append(role)
            bytes.append(hash == nil ? 0 : 1)
            if let hash {
                UInt32(hash.utf8.count).encode(into: &bytes)
                bytes += Array(hash.utf8)
            }
            bytes.append(0)  // not disabled
            Int64(1_700_000_000_000_000).encode(into: &bytes)
            try txn.put(records, id, Bytes(bytes))
            try txn.put(byName, name, id)
        }
        try txn.put(meta, "next_id.user", Bytes(UInt64(users.count + 1).encoded))
        try txn.put(meta, "schema_version", Bytes(UInt64(2).encoded))
    }
}
