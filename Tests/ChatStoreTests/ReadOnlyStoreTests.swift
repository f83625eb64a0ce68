import ChatModel
import Foundation
import LMDB
import TestSupport
import Testing

@testable import ChatStore

/// A store opened read-only (how `fitchat db restore` probes a backup) reads, and writes nothing.
@Suite struct ReadOnlyStoreTests {
    @Test func aReadOnlyStoreReadsAndCannotWrite() async throws {
        let dir = temporaryDirectory()
        do {
            let store = try ChatStore.open(directory: dir)
            _ = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
            store.close()
        }
        let file = URL(fileURLWithPath: dir).appendingPathComponent("data.mdb")
        let before = try Data(contentsOf: file)

        let store = try ChatStore.open(directory: dir, readOnly: true)
        #expect(try store.user(named: "ann") != nil)
        #expect(try store.check() == [])
        await #expect(throws: ChatStoreError.readOnly) {
            _ = try await store.createRoom(name: "new", description: "", isPrivate: false)
        }
        // The environment itself is MDB_RDONLY: LMDB refuses a write transaction.
        #expect(throws: LMDBError(code: EACCES)) {
            try store.environment.write { txn in try txn.put(store.tables.meta, "probe", Bytes([1])) }
        }
        try await store.ping()
        store.close()
        #expect(try Data(contentsOf: file) == before)
    }

    @Test func aReadOnlyOpenCreatesNothing() {
        let dir = temporaryDirectory() + "/missing"
        #expect(throws: (any Error).self) { try ChatStore.open(directory: dir, readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: dir))
    }
}
