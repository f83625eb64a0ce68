import CLMDB

/// A read or write transaction. Only valid inside the closure that received it.
public final class Transaction {
    let handle: OpaquePointer
    unowned let environment: Environment
    public let isReadOnly: Bool
    private var finished = false

    init(handle: OpaquePointer, environment: Environment, readOnly: Bool) {
        self.handle = handle
        self.environment = environment
        self.isReadOnly = readOnly
    }

    func commit() throws {
        precondition(!finished, "transaction used after it ended")
        finished = true
        try LMDBError.check(mdb_txn_commit(handle))
    }

    func abort() {
        guard !finished else { return }
        finished = true
        mdb_txn_abort(handle)
    }

    /// Runs `body` on this transaction, then commits it; aborts it if `body` or the commit throws.
    func run<T>(_ body: (Transaction) throws -> T) throws -> T {
        do {
            let result = try body(self)
            try commit()
            return result
        } catch {
            abort()
            throw error
        }
    }

    /// Runs `body` in a nested write transaction: if `body` throws, only its changes are undone.
    public func nested<T>(_ body: (Transaction) throws -> T) throws -> T {
        precondition(!isReadOnly, "nested transactions need a write transaction")
        var child: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(environment.handle, handle, 0, &child))
        return try Transaction(handle: child!, environment: environment, readOnly: false).run(body)
    }

    // MARK: Typed access

    /// A key LMDB could never have stored (empty, or longer than its key limit) is simply not
    /// there: a lookup by a user-supplied name must not become `MDB_BAD_VALSIZE`.
    func cannotExist(_ key: MDB_val) -> Bool {
        key.mv_size == 0 || key.mv_size > Int(mdb_env_get_maxkeysize(environment.handle))
    }

    public func get<K, V>(_ db: Database<K, V>, _ key: K) throws -> V? {
        try withVal(key.encoded) { keyVal in
            if cannotExist(keyVal) { return nil }
            var value = MDB_val()
            let rc = mdb_get(handle, db.dbi, &keyVal, &value)
            if rc == MDB_NOTFOUND { return nil }
            try LMDBError.check(rc)
            return try V.decode(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        }
    }

    public func contains<K, V>(_ db: Database<K, V>, _ key: K) throws -> Bool {
        try withVal(key.encoded) { keyVal in
            if cannotExist(keyVal) { return false }
            var value = MDB_val()
            let rc = mdb_get(handle, db.dbi, &keyVal, &value)
            if rc == MDB_NOTFOUND { return false }
            try LMDBError.check(rc)
            return true
        }
    }

    /// Stores `value` under `key`; with `noOverwrite`, an existing key throws `.keyExist`.
    public func put<K, V>(_ db: Database<K, V>, _ key: K, _ value: V, noOverwrite: Bool = false) throws {
        let valueBytes = value.encoded
        try withVal(key.encoded) { keyVal in
            try valueBytes.withUnsafeBytes { raw in
                var val = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                try LMDBError.check(mdb_put(handle, db.dbi, &keyVal, &val, noOverwrite ? UInt32(MDB_NOOVERWRITE) : 0))
            }
        }
    }

    /// Deletes `key`; returns whether it was there.
    @discardableResult
    public func delete<K, V>(_ db: Database<K, V>, _ key: K) throws -> Bool {
        try withVal(key.encoded) { keyVal in
            let rc = mdb_del(handle, db.dbi, &keyVal, nil)
            if rc == MDB_NOTFOUND { return false }
            try LMDBError.check(rc)
            return true
        }
    }

    /// Number of entries in the database.
    public func count<K, V>(_ db: Database<K, V>) throws -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, db.dbi, &stat))
        return stat.ms_entries
    }

    /// Removes every entry of the database (keeps the database).
    public func clear<K, V>(_ db: Database<K, V>) throws {
        try LMDBError.check(mdb_drop(handle, db.dbi, 0))
    }

    public func cursor<K, V>(_ db: Database<K, V>) throws -> Cursor<K, V> {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, db.dbi, &cursor))
        return Cursor(handle: cursor!)
    }
}

@inline(__always)
func withVal<T>(_ bytes: [UInt8], _ body: (inout MDB_val) throws -> T) throws -> T {
    try bytes.withUnsafeBytes { raw in
        var val = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
        return try body(&val)
    }
}
