import LMDB
import TestSupport
import Testing

@Suite struct MultiDatabaseTests {
    typealias Postings = MultiDatabase<String, Key2<UInt64, UInt64>>

    private func postings() throws -> (Environment, Postings) {
        let env = try Environment(path: temporaryDirectory())
        let db: Postings = try env.multiDatabase(named: "postings")
        try env.write { txn in
            for id in [5, 1, 9, 3, 7] as [UInt64] { try txn.put(db, "squat", Key2(id, id % 2 == 0 ? 2 : 1)) }
            try txn.put(db, "squats", Key2(4, 2))
            try txn.put(db, "sprint", Key2(2, 1))
            try txn.put(db, "bench", Key2(8, 1))
        }
        return (env, db)
    }

    @Test func aPairIsStoredOnceAndDeletedAlone() throws {
        let (env, db) = try postings()
        let changes = try env.write { txn in
            [
                try txn.put(db, "squat", Key2(5, 1)), try txn.delete(db, "squat", Key2(5, 1)),
                try txn.delete(db, "squat", Key2(5, 1)), try txn.delete(db, "nothing", Key2(5, 1)),
                try txn.delete(db, "", Key2(5, 1)),
            ]
        }
        #expect(changes == [false, true, false, false, false])
        let found = try env.read { txn in
            let cursor = try txn.cursor(db)
            return [
                try cursor.count("squat"), try cursor.contains("squat", Key2(5, 1)) ? 1 : 0,
                try cursor.contains("squat", Key2(7, 1)) ? 1 : 0, try cursor.contains("squat", Key2(7, 2)) ? 1 : 0,
                try cursor.count("missing"), try cursor.count(""), try txn.count(db),
            ]
        }
        #expect(found == [4, 0, 1, 0, 0, 0, 7])
    }

    @Test func aKeysValuesWalkDownFromABound() throws {
        let (env, db) = try postings()
        func walk(_ cursor: MultiCursor<String, Key2<UInt64, UInt64>>, _ key: String, below: UInt64?) throws
            -> [UInt64]
        {
            var ids: [UInt64] = []
            var value = try cursor.last(of: key, below: below.map { Key2($0, 0) })
            while let current = value {
                ids.append(current.a)
                value = try cursor.previous()
            }
            return ids
        }
        let walks = try env.read { txn in
            let cursor = try txn.cursor(db)
            return [
                try walk(cursor, "squat", below: nil), try walk(cursor, "squat", below: 7),
                try walk(cursor, "squat", below: 8), try walk(cursor, "squat", below: 100),
                try walk(cursor, "squat", below: 1), try walk(cursor, "squa", below: nil),
                // The walk stays within its key: "squats" follows "squat" in the file.
                try walk(cursor, "squats", below: nil),
            ]
        }
        #expect(walks == [[9, 7, 5, 3, 1], [5, 3, 1], [7, 5, 3, 1], [9, 7, 5, 3, 1], [], [], [4]])
    }

    @Test func keysUnderAPrefixComeWithTheirCounts() throws {
        let (env, db) = try postings()
        try env.read { txn in
            var found: [String: Int] = [:]
            try txn.cursor(db).keys(prefix: Array("sq".utf8)) { key, count in
                found[key] = count
                return true
            }
            #expect(found == ["squat": 5, "squats": 1])
            var first: [String] = []
            try txn.cursor(db).keys(prefix: Array("s".utf8)) { key, _ in
                first.append(key)
                return first.count < 2
            }
            #expect(first == ["sprint", "squat"])
            var none = 0
            try txn.cursor(db).keys(prefix: Array("z".utf8)) { _, _ in
                none += 1
                return true
            }
            #expect(none == 0)
        }
    }

    @Test func aScanVisitsEveryPairInOrder() throws {
        let (env, db) = try postings()
        try env.read { txn in
            var pairs: [String] = []
            try txn.cursor(db).scan { key, value in
                pairs.append("\(key):\(value.a)")
                return true
            }
            #expect(
                pairs == ["bench:8", "sprint:2", "squat:1", "squat:3", "squat:5", "squat:7", "squat:9", "squats:4"])
            var fromS: [String] = []
            try txn.cursor(db).scan(from: "sq") { key, value in
                fromS.append("\(key):\(value.a)")
                return fromS.count < 2
            }
            #expect(fromS == ["squat:1", "squat:3"])
        }
        try env.write { txn in try txn.clear(db) }
        #expect(try env.read { txn in try txn.count(db) } == 0)
    }

    @Test func reopeningWithoutDuplicatesIsRefused() throws {
        let path = temporaryDirectory()
        let first = try Environment(path: path)
        let _: Database<String, UInt64> = try first.database(named: "plain")
        let _: MultiDatabase<String, UInt64> = try first.multiDatabase(named: "multi")
        first.close()
        // A fresh environment: LMDB compares the flags with what the file says.
        let env = try Environment(path: path)
        #expect(throws: LMDBError.incompatible) {
            let _: MultiDatabase<String, UInt64> = try env.multiDatabase(named: "plain")
        }
        #expect(throws: LMDBError.incompatible) {
            let _: Database<String, UInt64> = try env.database(named: "multi")
        }
        let _: MultiDatabase<String, UInt64> = try env.multiDatabase(named: "multi")
    }
}
