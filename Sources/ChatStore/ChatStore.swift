import ChatModel
import Foundation
import LMDB
import Synchronization

/// The chat's `ChatRepository` on LMDB: one environment (`data.mdb` in the data directory),
/// records with their indexes written in one transaction, one writer thread with group commit.
public final class ChatStore: Sendable {
    /// The schema this build writes. Older stores are migrated; newer ones are refused.
    public static let schemaVersion: UInt32 = 7

    public struct Options: Sendable {
        public var migrate = false
        /// Opens the environment with `MDB_RDONLY` (a probe of a backup, say): the store must exist
        /// with the current schema; every write fails with `ChatStoreError.readOnly`.
        public var readOnly = false
        public var mapSize = 64 << 20
        public var maxBatch = 1024
        /// The clock for created_at / joined_at (µs since the epoch); replaceable in tests.
        public var now: @Sendable () -> Micros = { SystemClock().wallMicros() }
        public init(migrate: Bool = false, readOnly: Bool = false) {
            self.migrate = migrate
            self.readOnly = readOnly
        }
    }

    public let directory: String
    let environment: Environment
    let tables: Tables
    /// Nil when the store was opened read-only.
    let writer: Writer?
    let now: @Sendable () -> Micros
    /// What opening this store migrated that the operator should know (renamed users, …).
    public let migrationNotes: [String]
    /// Whether `close()` ran; held while it runs, so a second caller waits for the first.
    private let isClosed = Mutex(false)

    /// Opens (creating if needed) the store in `directory`. With `migrate`, an older schema is
    /// brought up to date; without, it is refused with a clear error. A newer schema is refused.
    /// `readOnly` opens an existing store without writing anything (see `Options.readOnly`).
    public static func open(directory: String, migrate: Bool = false, readOnly: Bool = false) throws -> ChatStore {
        try ChatStore(directory: directory, options: Options(migrate: migrate, readOnly: readOnly))
    }

    public init(directory: String, options: Options) throws {
        if !options.readOnly {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var envOptions = Environment.Options()
        envOptions.mapSize = options.mapSize
        envOptions.maxDatabases = 32
        envOptions.maxReaders = 256
        envOptions.readOnly = options.readOnly
        let environment = try Environment(path: directory, options: envOptions)
        do {
            if options.readOnly { try Migrations.requireCurrent(environment: environment) }
            let tables = try Tables(environment: environment, create: !options.readOnly)
            if options.readOnly {
                migrationNotes = []
            } else {
                migrationNotes = try Migrations.prepare(
                    environment: environment, tables: tables, migrate: options.migrate, now: options.now())
            }
            self.tables = tables
        } catch {
            environment.close()
            throw error
        }
        self.directory = directory
        self.environment = environment
        self.now = options.now
        self.writer = options.readOnly ? nil : Writer(environment: environment, maxBatch: options.maxBatch)
    }

    deinit { close() }

    /// Lets queued writes finish, stops the writer and closes the environment.
    public func close() {
        isClosed.withLock { closed in
            guard !closed else { return }
            closed = true
            writer?.stop()
            environment.close()
        }
    }

    /// The store's clock (µs since the epoch): what it stamps records with and checks expiry against.
    public var currentTime: Micros { now() }

    /// Called after each commit with (batch size, seconds): for metrics.
    public var onCommit: (@Sendable (Int, Double) -> Void)? {
        get { writer?.onCommit }
        set { writer?.onCommit = newValue }
    }

    /// The size of the memory map now (it doubles when a write needs more).
    public var mapSize: Int { environment.info().mapSize }
    /// The size of `data.mdb` on disk, in bytes.
    public var fileSize: Int { environment.fileSize }

    /// Whether the last write failed for want of disk space (ENOSPC or a quota), until a write
    /// commits again: what `/healthz` reports.
    public var isStorageFull: Bool { writer?.storageFull.load(ordering: .relaxed) ?? false }

    /// Called (on the writer thread) when the store starts or stops finding its disk full.
    public var onStorageChange: (@Sendable (Bool) -> Void)? {
        get { writer?.onStorageChange }
        set { writer?.onStorageChange = newValue }
    }

    /// Bytes free to the daemon on the filesystem holding the store (nil when unknown).
    public var freeBytes: UInt64? { Writer.freeBytes(directory) }

    /// Whether the filesystem is so nearly full that the next write may fail.
    public var diskNearlyFull: Bool { (freeBytes ?? .max) < Writer.nearlyFull }

    /// A write that needs a fresh page on disk and leaves no trace (a key put and deleted again):
    /// run while the disk is full, it finds out whether space came back even when nobody writes.
    public func probeStorage() async throws {
        try await write { txn, tables in
            try txn.put(tables.meta, MetaKey.storageProbe, Bytes([1]))
            _ = try txn.delete(tables.meta, MetaKey.storageProbe)
        }
    }

    /// Round-trips through the writer thread: fails or hangs if the writer is stuck (watchdog).
    /// A read-only store has no writer and answers at once.
    public func ping() async throws { try await writer?.ping() }

    /// How many stale reader slots `mdb_reader_check` cleared when the store opened.
    public var staleReadersCleared: Int { environment.staleReadersCleared }

    /// Makes every read and write fail, as a broken disk would: how the daemon's answers to
    /// storage failures are tested end to end (set only by the `FITCHAT_TEST_HOOKS` routes).
    public let injectedFailures = FailureSwitch()

    func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        if injectedFailures.failsReads { throw ChatStoreError.injectedFailure }
        return try environment.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Transaction, Tables) throws -> T) async throws -> T {
        if injectedFailures.failsWrites { throw ChatStoreError.injectedFailure }
        guard let writer else { throw ChatStoreError.readOnly }
        let tables = self.tables
        return try await writer.submit { txn in try body(txn, tables) }
    }
}
