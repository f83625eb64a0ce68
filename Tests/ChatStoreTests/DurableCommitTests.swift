import CLMDB
import ChatModel
import TestSupport
import Testing

@testable import ChatStore
@testable import LMDB

/// The store's environment must sync on every commit: an acknowledged message is on disk. Flags
/// that trade that away (`MDB_NOSYNC`, `MDB_NOMETASYNC`, `MDB_MAPASYNC`) must never be set, however
/// they get there (at open or later with `mdb_env_set_flags`). The end-to-end suite watches the
/// daemon's fsync calls under strace (Tests/e2e/test_guarantees.py); this is the fast check.
@Suite struct DurableCommitTests {
    static let relaxed: [(String, Int32)] = [
        ("MDB_NOSYNC", MDB_NOSYNC), ("MDB_NOMETASYNC", MDB_NOMETASYNC), ("MDB_MAPASYNC", MDB_MAPASYNC),
    ]

    func flags(_ environment: LMDB.Environment) -> UInt32 {
        var flags: UInt32 = 0
        #expect(mdb_env_get_flags(environment.handle, &flags) == 0)
        return flags
    }

    @Test func theStoreSyncsEveryCommit() async throws {
        let store = try makeStore()
        defer { store.close() }
        // After writes too: a flag set once the store is running counts as much as one set at open.
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        _ = try await store.append(
            NewMessage(roomID: try store.room(named: "general")!.id, userID: ann.id, text: "on disk"))
        let set = flags(store.environment)
        for (name, flag) in Self.relaxed {
            #expect(set & UInt32(flag) == 0, "the store's environment has \(name): commits are not durable")
        }
    }

    @Test func aPlainEnvironmentSyncsEveryCommit() throws {
        let environment = try LMDB.Environment(path: temporaryDirectory())
        defer { environment.close() }
        let set = flags(environment)
        for (name, flag) in Self.relaxed {
            #expect(set & UInt32(flag) == 0, "a default environment has \(name)")
        }
    }
}
