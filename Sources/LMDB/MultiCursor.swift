import CLMDB

/// A cursor over a `MultiDatabase`, valid inside its transaction's closure: counts a key's
/// values, finds one pair, walks a key's values from the largest down (below a bound), lists the
/// keys under a prefix, and visits every pair.
public final class MultiCursor<Key: LMDBCodable, Value: LMDBFixedWidth> {
    let handle: OpaquePointer
    let maxKeySize: Int

    init(handle: OpaquePointer, maxKeySize: Int) {
        self.handle = handle
        self.maxKeySize = maxKeySize
    }

    deinit { mdb_cursor_close(handle) }

    /// One `mdb_cursor_get`; nil on `MDB_NOTFOUND`. `key` / `value` are what the operation seeks.
    private func get(_ op: MDB_cursor_op, key seekKey: [UInt8]? = nil, value seekValue: [UInt8]? = nil) throws
        -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?
    {
        var key = MDB_val()
        var value = MDB_val()
        if let seekKey, seekKey.isEmpty || seekKey.count > maxKeySize { return nil }
        let rc = try (seekKey ?? []).withUnsafeBytes { keyRaw in
            try (seekValue ?? []).withUnsafeBytes { valueRaw -> Int32 in
                if seekKey != nil {
                    key = MDB_val(mv_size: keyRaw.count, mv_data: UnsafeMutableRawPointer(mutating: keyRaw.baseAddress))
                }
                if seekValue != nil {
                    value = MDB_val(
                        mv_size: valueRaw.count, mv_data: UnsafeMutableRawPointer(mutating: valueRaw.baseAddress))
                }
                return mdb_cursor_get(handle, &key, &value, op)
            }
        }
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc)
        return (
            UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
        )
    }

    /// How many values `key` holds (0: none): `mdb_cursor_count`, no walk.
    public func count(_ key: Key) throws -> Int {
        guard try get(MDB_SET, key: key.encoded) != nil else { return 0 }
        var count = 0
        try LMDBError.check(mdb_cursor_count(handle, &count))
        return count
    }

    /// Whether the pair `key`/`value` is stored (`MDB_GET_BOTH`).
    public func contains(_ key: Key, _ value: Value) throws -> Bool {
        try get(MDB_GET_BOTH, key: key.encoded, value: value.encoded) != nil
    }

    /// Positions the cursor on `key`'s largest value below `upper` (exclusive; nil: its largest of
    /// all) and returns it; nil when there is none. `previous()` then walks on down.
    public func last(of key: Key, below upper: Value? = nil) throws -> Value? {
        let keyBytes = key.encoded
        if let upper {
            // The first value at or above the bound, then one back; if every value is below it,
            // the key's last value.
            if try get(MDB_GET_BOTH_RANGE, key: keyBytes, value: upper.encoded) != nil {
                return try get(MDB_PREV_DUP).map { try Value.decode($0.value) }
            }
        }
        guard try get(MDB_SET, key: keyBytes) != nil else { return nil }
        return try get(MDB_LAST_DUP).map { try Value.decode($0.value) }
    }

    /// The next smaller value of the key the cursor is on (after `last(of:below:)`); nil at its first.
    public func previous() throws -> Value? {
        try get(MDB_PREV_DUP).map { try Value.decode($0.value) }
    }

    /// Visits the keys starting with the bytes `prefix`, in key order, each with its number of
    /// values; `body` returns false to stop.
    public func keys(prefix: [UInt8], _ body: (Key, Int) throws -> Bool) throws {
        guard !prefix.isEmpty, prefix.count <= maxKeySize else { return }
        var entry = try get(MDB_SET_RANGE, key: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            var count = 0
            try LMDBError.check(mdb_cursor_count(handle, &count))
            guard try body(try Key.decode(current.key), count) else { return }
            entry = try get(MDB_NEXT_NODUP)
        }
    }

    /// Visits every pair in key order, each key's values in order; `body` returns false to stop.
    public func scan(from lower: Key? = nil, _ body: (Key, Value) throws -> Bool) throws {
        var entry = try lower.map { try get(MDB_SET_RANGE, key: $0.encoded) } ?? get(MDB_FIRST)
        while let current = entry {
            guard try body(try Key.decode(current.key), try Value.decode(current.value)) else { return }
            entry = try get(MDB_NEXT)
        }
    }
}
