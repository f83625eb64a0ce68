import CLMDB

/// A cursor over one database, valid inside its transaction's closure. Scans are expressed on
/// the encoded key bytes, so composite keys can be walked by prefix (e.g. one room's messages).
public final class Cursor<Key: LMDBCodable, Value: LMDBCodable> {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { mdb_cursor_close(handle) }

    /// Moves the cursor; returns the raw key/value or nil at either end.
    private func move(_ op: MDB_cursor_op, seek: [UInt8]? = nil) throws -> (
        UnsafeRawBufferPointer, UnsafeRawBufferPointer
    )? {
        var key = MDB_val()
        var value = MDB_val()
        let rc: Int32
        if let seek {
            rc = try withVal(seek) { seekVal -> Int32 in
                key = seekVal
                return mdb_cursor_get(handle, &key, &value, op)
            }
        } else {
            rc = mdb_cursor_get(handle, &key, &value, op)
        }
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc)
        return (
            UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
        )
    }

    private func decode(_ entry: (UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws -> (Key, Value) {
        (try Key.decode(entry.0), try Value.decode(entry.1))
    }

    /// Visits entries with `lower <= key < upper` (bounds on encoded bytes, nil = open), in key
    /// order or in reverse; `body` returns false to stop.
    public func scan(
        from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, reverse: Bool = false,
        _ body: (Key, Value) throws -> Bool
    ) throws {
        try walk(from: lower, to: upper, reverse: reverse) { current in
            let (key, value) = try decode(current)
            return try body(key, value)
        }
    }

    /// `scan` decoding only the keys: for a migration that rewrites values an older schema left
    /// in another shape.
    public func scanKeys(
        from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, reverse: Bool = false, _ body: (Key) throws -> Bool
    ) throws {
        try walk(from: lower, to: upper, reverse: reverse) { current in try body(try Key.decode(current.0)) }
    }

    private func walk(
        from lower: [UInt8]?, to upper: [UInt8]?, reverse: Bool,
        _ body: ((UnsafeRawBufferPointer, UnsafeRawBufferPointer)) throws -> Bool
    ) throws {
        var entry: (UnsafeRawBufferPointer, UnsafeRawBufferPointer)?
        if reverse {
            if let upper {
                // The first entry at or after `upper`, then one step back; at the end, the last entry.
                entry = try move(MDB_SET_RANGE, seek: upper) != nil ? try move(MDB_PREV) : try move(MDB_LAST)
            } else {
                entry = try move(MDB_LAST)
            }
        } else {
            entry = try lower.map { try move(MDB_SET_RANGE, seek: $0) } ?? move(MDB_FIRST)
        }
        while let current = entry {
            if let lower, Self.precedes(current.0, lower) { return }
            if let upper, !Self.precedes(current.0, upper) { return }
            guard try body(current) else { return }
            entry = try move(reverse ? MDB_PREV : MDB_NEXT)
        }
    }

    /// Byte order of an entry's key against a bound, without copying the key.
    private static func precedes(_ key: UnsafeRawBufferPointer, _ bound: [UInt8]) -> Bool {
        key.lexicographicallyPrecedes(bound)
    }

    /// Visits the entries whose encoded key starts with `prefix`.
    public func scan(prefix: [UInt8], reverse: Bool = false, _ body: (Key, Value) throws -> Bool) throws {
        try scan(from: prefix, to: Cursor.successor(of: prefix), reverse: reverse, body)
    }

    static func successor(of prefix: [UInt8]) -> [UInt8]? { prefixUpperBound(prefix) }
}

/// The smallest byte string greater than every string starting with `prefix` (nil: there is none).
public func prefixUpperBound(_ prefix: [UInt8]) -> [UInt8]? {
    do {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }
}

extension Transaction {
    /// Collects up to `limit` entries of a prefix scan.
    public func entries<K, V>(_ db: Database<K, V>, prefix: [UInt8], reverse: Bool = false, limit: Int = .max) throws
        -> [(K, V)]
    {
        var result: [(K, V)] = []
        guard limit > 0 else { return result }
        try cursor(db).scan(prefix: prefix, reverse: reverse) { key, value in
            result.append((key, value))
            return result.count < limit
        }
        return result
    }

    /// Collects up to `limit` entries with `lower <= key < upper`.
    public func entries<K, V>(
        _ db: Database<K, V>, from lower: [UInt8]? = nil, to upper: [UInt8]? = nil, reverse: Bool = false,
        limit: Int = .max
    ) throws -> [(K, V)] {
        var result: [(K, V)] = []
        guard limit > 0 else { return result }
        try cursor(db).scan(from: lower, to: upper, reverse: reverse) { key, value in
            result.append((key, value))
            return result.count < limit
        }
        return result
    }
}
