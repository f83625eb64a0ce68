import LMDB
import TestSupport
import Testing

func roundTrip<T: LMDBCodable>(_ value: T) throws -> T {
    try value.encoded.withUnsafeBytes { raw in try T.decode(raw) }
}

@Suite struct CodecTests {
    @Test func integersRoundTripAndSortLikeNumbers() throws {
        var rng = SeededGenerator(seed: 42)
        let edges: [Int64] = [.min, -1, 0, 1, .max]
        let values = edges + (0..<2000).map { _ in Int64(bitPattern: rng.next()) }
        for value in values { #expect(try roundTrip(value) == value) }
        for _ in 0..<2000 {
            let a = Int64(bitPattern: rng.next())
            let b = Int64(bitPattern: rng.next())
            #expect((a < b) == a.encoded.lexicographicallyPrecedes(b.encoded))
            let x = rng.next()
            let y = rng.next()
            #expect(try roundTrip(x) == x)
            #expect((x < y) == x.encoded.lexicographicallyPrecedes(y.encoded))
            let u = UInt32(truncatingIfNeeded: x)
            let v = UInt32(truncatingIfNeeded: y)
            #expect((u < v) == u.encoded.lexicographicallyPrecedes(v.encoded))
        }
        #expect(UInt64(1).encoded == [0, 0, 0, 0, 0, 0, 0, 1])
    }

    @Test func compositeKeysOrderByTheirPartsInTurn() throws {
        var rng = SeededGenerator(seed: 7)
        var keys: [Key3<UInt64, Int64, UInt64>] = []
        for _ in 0..<3000 {
            keys.append(Key3(rng.next() % 5, Int64(bitPattern: rng.next()) % 1000, rng.next() % 100))
        }
        for key in keys { #expect(try roundTrip(key) == key) }
        let byBytes = keys.sorted { $0.encoded.lexicographicallyPrecedes($1.encoded) }
        let byValue = keys.sorted { ($0.a, $0.b, $0.c) < ($1.a, $1.b, $1.c) }
        #expect(byBytes == byValue)
        let pair = Key2<UInt64, UInt64>(3, 9)
        #expect(try roundTrip(pair) == pair)
    }

    @Test func stringsAndBytesRoundTrip() throws {
        for text in ["", "general", "Ünïcødé 💪", String(repeating: "x", count: 5000)] {
            #expect(try roundTrip(text) == text)
        }
        #expect(try roundTrip(Bytes([0, 255, 7])) == Bytes([0, 255, 7]))
    }

    @Test func aTruncatedIntegerIsADecodingError() {
        #expect(throws: LMDBError.decoding) {
            try [UInt8](repeating: 0, count: 5).withUnsafeBytes { raw in try UInt64.decode(raw) }
        }
    }

    @Test func prefixUpperBounds() {
        #expect(prefixUpperBound([1, 2]) == [1, 3])
        #expect(prefixUpperBound([1, 0xFF]) == [2])
        #expect(prefixUpperBound([0xFF, 0xFF]) == nil)
    }
}
