import CLMDB

/// A named database whose keys each hold a sorted set of fixed-width values (`MDB_DUPSORT` with
/// `MDB_DUPFIXED`): an inverted index, say, term → postings. Values sort by their bytes, so
/// big-endian integers sort numerically; a key/value pair is stored at most once.
public struct MultiDatabase<Key: LMDBCodable, Value: LMDBFixedWidth>: Sendable {
    public let name: String
    let dbi: MDB_dbi
}

extension Environment {
    /// Opens (and with `create`, creates) a database of sorted duplicates. Call once at start-up.
    /// An existing database opened with other flags is refused by LMDB (`MDB_INCOMPATIBLE`).
    public func multiDatabase<Key: LMDBCodable, Value: LMDBFixedWidth>(
        named name: String, create: Bool = true, as: (Key.Type, Value.Type) = (Key.self, Value.self)
    ) throws -> MultiDatabase<Key, Value> {
        let flags = UInt32(MDB_DUPSORT | MDB_DUPFIXED) | (create ? UInt32(MDB_CREATE) : 0)
        let dbi = try openDatabase(named: name, flags: flags)
        return MultiDatabase(name: name, dbi: dbi)
    }
}

extension Transaction {
    /// Adds `value` to `key`'s values; returns false when the pair was already there.
    @discardableResult
    public func put<K, V>(_ db: MultiDatabase<K, V>, _ key: K, _ value: V) throws -> Bool {
        try withVal(key.encoded) { keyVal in
            try withVal(value.encoded) { val in
                let rc = mdb_put(handle, db.dbi, &keyVal, &val, UInt32(MDB_NODUPDATA))
                if rc == MDB_KEYEXIST { return false }
                try LMDBError.check(rc)
                return true
            }
        }
    }

    /// Removes exactly the pair `key`/`value` (the key's other values stay); returns whether it was there.
    @discardableResult
    public func delete<K, V>(_ db: MultiDatabase<K, V>, _ key: K, _ value: V) throws -> Bool {
        try withVal(key.encoded) { keyVal in
            if cannotExist(keyVal) { return false }
            return try withVal(value.encoded) { val in
                let rc = mdb_del(handle, db.dbi, &keyVal, &val)
                if rc == MDB_NOTFOUND { return false }
                try LMDBError.check(rc)
                return true
            }
        }
    }

    /// Number of key/value pairs in the database.
    public func count<K, V>(_ db: MultiDatabase<K, V>) throws -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, db.dbi, &stat))
        return stat.ms_entries
    }

    /// Removes every pair (keeps the database).
    public func clear<K, V>(_ db: MultiDatabase<K, V>) throws {
        try LMDBError.check(mdb_drop(handle, db.dbi, 0))
    }

    /// A cursor for lookups and walks; cheaper than one-off calls when many are made.
    public func cursor<K, V>(_ db: MultiDatabase<K, V>) throws -> MultiCursor<K, V> {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, db.dbi, &cursor))
        return MultiCursor(handle: cursor!, maxKeySize: Int(mdb_env_get_maxkeysize(environment.handle)))
    }
}
