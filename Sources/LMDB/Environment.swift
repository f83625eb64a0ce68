import CLMDB
import Foundation

/// An LMDB environment: one data file (`data.mdb`) and its lock file in a directory.
///
/// Transactions are only available inside `read { }` / `write { }` closures, which are synchronous:
/// a transaction can neither escape nor be held across an `await`. The environment outlives them.
// @unchecked Sendable: the env handle is thread-safe (MDB_NOTLS); `closed` is read under `resizeLock`
// held shared and written under it held exclusively.
public final class Environment: @unchecked Sendable {
    public struct Options: Sendable {
        public var mapSize: Int = 64 << 20
        public var maxDatabases: UInt32 = 16
        public var maxReaders: UInt32 = 126
        /// Growth factor applied to the map when a write hits MDB_MAP_FULL.
        public var growthFactor: Int = 2
        /// Opens with `MDB_RDONLY`: nothing can be written (write transactions fail with EACCES),
        /// and the data file must already exist.
        public var readOnly: Bool = false
        public init() {}
    }

    public let path: String
    /// How many stale reader slots (of dead processes) `mdb_reader_check` cleared at open.
    public let staleReadersCleared: Int
    let handle: OpaquePointer
    let options: Options
    /// Shared by every transaction of this process; exclusive while the map is resized.
    private let resizeLock = ResizeLock()
    private var closed = false

    public init(path: String, options: Options = Options()) throws {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env))
        guard let env else { throw LMDBError.invalid }
        do {
            try LMDBError.check(mdb_env_set_maxdbs(env, options.maxDatabases))
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders))
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize))
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if !options.readOnly { try Self.reserveLockFile(in: path, readers: Int(options.maxReaders)) }
            try LMDBError.check(mdb_env_open(env, path, flags, 0o640))
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(env, &dead))
            staleReadersCleared = Int(dead)
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.options = options
    }

    deinit { close() }

    /// LMDB maps its lock file and writes reader slots through the map: on a full filesystem a
    /// page of it never written before cannot be allocated, and the process died of SIGBUS (a
    /// daemon started on a full disk; found by the issue-17 attack). Allocating the file's blocks
    /// first turns that into ENOSPC at open. The size is LMDB's own for `readers` slots (its header,
    /// 192 bytes, and 64 a further slot), or the file's when larger: LMDB derives the slot count
    /// from an existing file's size, so it must not grow.
    static func reserveLockFile(in path: String, readers: Int) throws {
        let lockPath = (path as NSString).appendingPathComponent("lock.mdb")
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }  // LMDB's own open says why, in its words
        defer { Glibc.close(fd) }
        var file = stat()
        guard fstat(fd, &file) == 0 else { return }
        let bytes = max(Int(file.st_size), (readers - 1) * 64 + 192)
        let code = posix_fallocate(fd, 0, off_t(bytes))
        if code == ENOSPC || code == EDQUOT { throw LMDBError(code: code) }
        // Any other failure (a filesystem that cannot): LMDB goes on as it always did.
    }

    /// Closes the environment. Every transaction must have ended.
    public func close() {
        resizeLock.exclusive {
            guard !closed else { return }
            closed = true
            mdb_env_close(handle)
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read-only transaction (a consistent snapshot).
    public func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        try resizeLock.shared {
            guard !closed else { throw LMDBError.closed }
            let txn = try begin(readOnly: true)
            defer { txn.abort() }
            return try body(txn)
        }
    }

    /// Runs `body` in a write transaction and commits it (durably: LMDB syncs on commit).
    /// On MDB_MAP_FULL the transaction is aborted, the map grows, and `body` runs again from the
    /// start: a write is applied whole or not at all, so `body` must not have outside effects.
    public func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        while true {
            do {
                return try resizeLock.shared {
                    guard !closed else { throw LMDBError.closed }
                    return try begin(readOnly: false).run(body)
                }
            } catch let error as LMDBError where error == .mapFull {
                try grow()
            }
        }
    }

    private func begin(readOnly: Bool) throws -> Transaction {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
        if rc == MDB_MAP_RESIZED {
            // Another process grew the map: adopt its size. Needs the exclusive lock, which we
            // cannot take while holding the shared one, so do it through a retry.
            resizeLock.releasingShared { adoptForeignMapSize() }
            rc = mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
        }
        try LMDBError.check(rc)
        return Transaction(handle: txn!, environment: self, readOnly: readOnly)
    }

    private func adoptForeignMapSize() {
        resizeLock.exclusive { _ = mdb_env_set_mapsize(handle, 0) }
    }

    /// Grows the map by the growth factor, with no transaction of this process open.
    private func grow() throws {
        try resizeLock.exclusive {
            let current = info().mapSize
            try LMDBError.check(mdb_env_set_mapsize(handle, current * max(options.growthFactor, 2)))
        }
    }

    // MARK: Databases and information

    /// Opens (and with `create`, creates) a named database. Call once at start-up. A read-only
    /// environment opens existing databases in a read transaction (committed, so the handle stays).
    public func database<Key: LMDBCodable, Value: LMDBCodable>(
        named name: String, create: Bool = true, as: (Key.Type, Value.Type) = (Key.self, Value.self)
    ) throws -> Database<Key, Value> {
        Database(name: name, dbi: try openDatabase(named: name, flags: create ? UInt32(MDB_CREATE) : 0))
    }

    /// `mdb_dbi_open` with `flags`, in a transaction of its own. LMDB itself opens a stored
    /// database with the flags it was created with, whatever is asked: a database of sorted
    /// duplicates opened as a plain one (or the other way round) is refused here instead.
    func openDatabase(named name: String, flags: UInt32) throws -> MDB_dbi {
        let open = { (txn: Transaction) throws -> MDB_dbi in
            var dbi = MDB_dbi()
            try LMDBError.check(mdb_dbi_open(txn.handle, name, flags, &dbi))
            var stored: UInt32 = 0
            try LMDBError.check(mdb_dbi_flags(txn.handle, dbi, &stored))
            let duplicates = UInt32(MDB_DUPSORT | MDB_DUPFIXED)
            guard stored & duplicates == flags & duplicates else { throw LMDBError.incompatible }
            return dbi
        }
        guard options.readOnly else { return try write(open) }
        return try resizeLock.shared {
            guard !closed else { throw LMDBError.closed }
            return try begin(readOnly: true).run(open)
        }
    }

    public struct Info: Sendable {
        public var mapSize: Int
        public var readersInUse: Int
        public var maxReaders: Int
    }

    public func info() -> Info {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return Info(
            mapSize: info.me_mapsize, readersInUse: Int(info.me_numreaders), maxReaders: Int(info.me_maxreaders))
    }

    /// Size of `data.mdb` on disk, in bytes.
    public var fileSize: Int {
        let attributes = try? FileManager.default.attributesOfItem(
            atPath: (path as NSString).appendingPathComponent("data.mdb"))
        return (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Writes a consistent copy of the environment to `fd` (an open, empty file); `compact` omits
    /// free pages. Safe while other processes read and write. The caller syncs and closes `fd`.
    public func copy(toFileDescriptor fd: Int32, compact: Bool) throws {
        try resizeLock.shared {
            guard !closed else { throw LMDBError.closed }
            try LMDBError.check(mdb_env_copyfd2(handle, fd, compact ? UInt32(MDB_CP_COMPACT) : 0))
        }
    }

    /// Writes a consistent copy of the environment into `directory` (which must exist and be
    /// empty); `compact` omits free pages. Safe while other processes read and write.
    public func copy(to directory: String, compact: Bool) throws {
        try resizeLock.shared {
            guard !closed else { throw LMDBError.closed }
            try LMDBError.check(mdb_env_copy2(handle, directory, compact ? UInt32(MDB_CP_COMPACT) : 0))
        }
    }
}
