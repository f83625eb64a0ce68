import CLMDB
import Foundation
import LMDB
import TestSupport
import Testing

@Suite struct EnvironmentTests {
    @Test func putGetDeleteAndCount() throws {
        let env = try Environment(path: temporaryDirectory())
        let db: Database<UInt64, String> = try env.database(named: "things")
        try env.write { txn in
            try txn.put(db, 1, "one")
            try txn.put(db, 2, "two")
            #expect(throws: LMDBError.keyExist) { try txn.put(db, 1, "uno", noOverwrite: true) }
        }
        #expect(try env.read { txn in try txn.get(db, 1) } == "one")
        #expect(try env.read { txn in try txn.get(db, 3) } == nil)
        #expect(try env.read { txn in try txn.count(db) } == 2)
        #expect(try env.write { txn in try txn.delete(db, 1) })
        #expect(try env.read { txn in try txn.get(db, 1) } == nil)
    }

    @Test func keysLMDBCannotHoldAreSimplyAbsent() throws {
        let env = try Environment(path: temporaryDirectory())
        let db: Database<String, String> = try env.database(named: "names")
        try env.write { txn in try txn.put(db, "ann", "1") }
        for key in ["", String(repeating: "x", count: 600)] {
            #expect(try env.read { txn in try txn.get(db, key) } == nil)
            #expect(try env.read { txn in try txn.contains(db, key) } == false)
        }
    }

    @Test func aThrowingWriteLeavesNothingBehind() throws {
        struct Oops: Error {}
        let env = try Environment(path: temporaryDirectory())
        let db: Database<UInt64, String> = try env.database(named: "things")
        #expect(throws: Oops.self) {
            try env.write { txn in
                try txn.put(db, 1, "half")
                throw Oops()
            }
        }
        #expect(try env.read { txn in try txn.count(db) } == 0)
    }

    @Test func aFailingNestedTransactionIsUndoneAlone() throws {
        struct Oops: Error {}
        let env = try Environment(path: temporaryDirectory())
        let db: Database<UInt64, String> = try env.database(named: "things")
        try env.write { txn in
            try txn.nested { try $0.put(db, 1, "kept") }
            _ = try? txn.nested { child in
                try child.put(db, 2, "undone")
                throw Oops()
            }
        }
        #expect(try env.read { txn in try txn.get(db, 1) } == "kept")
        #expect(try env.read { txn in try txn.get(db, 2) } == nil)
    }

    @Test func cursorsScanRangesPrefixesAndBackwards() throws {
        let env = try Environment(path: temporaryDirectory())
        let db: Database<Key2<UInt64, UInt64>, Empty> = try env.database(named: "pairs")
        try env.write { txn in
            for a in 1...3 as ClosedRange<UInt64> {
                for b in 1...10 as ClosedRange<UInt64> { try txn.put(db, Key2(a, b), Empty()) }
            }
        }
        try env.read { txn in
            let room2 = try txn.entries(db, prefix: UInt64(2).encoded).map(\.0.b)
            #expect(room2 == Array(1...10))
            let last3 = try txn.entries(db, prefix: UInt64(2).encoded, reverse: true, limit: 3).map(\.0.b)
            #expect(last3 == [10, 9, 8])
            let lastOfAll = try txn.entries(db, prefix: UInt64(3).encoded, reverse: true, limit: 1).map(\.0.b)
            #expect(lastOfAll == [10])
            let range = try txn.entries(
                db, from: Key2<UInt64, UInt64>(1, 9).encoded, to: Key2<UInt64, UInt64>(2, 3).encoded
            ).map { [$0.0.a, $0.0.b] }
            #expect(range == [[1, 9], [1, 10], [2, 1], [2, 2]])
            let backwards = try txn.entries(
                db, from: Key2<UInt64, UInt64>(1, 9).encoded, to: Key2<UInt64, UInt64>(2, 3).encoded, reverse: true
            ).map { [$0.0.a, $0.0.b] }
            #expect(backwards == [[2, 2], [2, 1], [1, 10], [1, 9]])
            #expect(try txn.entries(db, prefix: UInt64(4).encoded).isEmpty)
            #expect(try txn.entries(db, prefix: UInt64(0).encoded, reverse: true).isEmpty)
        }
    }

    @Test func theMapGrowsFromATinySizeAndNoWriteIsHalfApplied() throws {
        var options = Environment.Options()
        options.mapSize = 64 << 10
        let env = try Environment(path: temporaryDirectory(), options: options)
        let db: Database<UInt64, Bytes> = try env.database(named: "blobs")
        let blob = Bytes([UInt8](repeating: 0xAB, count: 4096))
        var attempts = 0
        try env.write { txn in
            attempts += 1
            for key in 0..<2000 as Range<UInt64> { try txn.put(db, key, blob) }  // ~8 MiB in one transaction
        }
        #expect(attempts > 1)  // it really hit MDB_MAP_FULL and was retried whole
        #expect(env.info().mapSize > 8 << 20)
        #expect(try env.read { txn in try txn.count(db) } == 2000)
    }

    @Test func staleReadersOfDeadProcessesAreClearedAtOpen() throws {
        let path = temporaryDirectory()
        try Environment(path: path).close()
        // A live process keeps the lock file open: otherwise the next opener resets the reader
        // table itself and there is nothing stale left to clear.
        let survivor = try Child(binaryDirectory() + "/fitchat-bench", ["hold-reader", "--path", path])
        defer { survivor.kill() }
        #expect(survivor.readLine() == "READY")
        let victim = try Child(binaryDirectory() + "/fitchat-bench", ["hold-reader", "--path", path])
        #expect(victim.readLine() == "READY")
        victim.kill()
        let env = try Environment(path: path)
        #expect(env.staleReadersCleared == 1)
        #expect(env.info().readersInUse >= 1)
    }

    @Test func errorsCarryLMDBsText() {
        #expect(LMDBError.mapFull.description.contains("MDB_MAP_FULL"))
        #expect(LMDBError(code: ENOENT).description.contains("No such file"))
    }
}

@Suite struct ReadOnlyEnvironmentTests {
    @Test func aReadOnlyEnvironmentReadsButCannotWrite() throws {
        let dir = temporaryDirectory()
        do {
            let env = try Environment(path: dir)
            let db = try env.database(named: "kv", as: (String.self, String.self))
            try env.write { txn in try txn.put(db, "a", "1") }
            env.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/data.mdb"))
        var options = Environment.Options()
        options.readOnly = true
        let env = try Environment(path: dir, options: options)
        defer { env.close() }
        let db = try env.database(named: "kv", create: false, as: (String.self, String.self))
        #expect(try env.read { txn in try txn.get(db, "a") } == "1")
        // MDB_RDONLY: LMDB itself refuses a write transaction.
        #expect(throws: LMDBError(code: EACCES)) { try env.write { txn in try txn.put(db, "b", "2") } }
        #expect(throws: LMDBError(code: EACCES)) {
            try env.database(named: "new", create: true, as: (String.self, String.self))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/data.mdb")) == before)
    }

    @Test func aReadOnlyEnvironmentIsNeverCreated() {
        let dir = temporaryDirectory()
        var options = Environment.Options()
        options.readOnly = true
        #expect(throws: LMDBError.self) { try Environment(path: dir, options: options) }
        #expect(!FileManager.default.fileExists(atPath: dir + "/data.mdb"))
    }

    @Test func aClosedEnvironmentRefusesTransactions() throws {
        let env = try Environment(path: temporaryDirectory())
        env.close()
        #expect(throws: LMDBError.closed) { try env.read { _ in } }
        #expect(throws: LMDBError.closed) { try env.write { _ in } }
    }
}
