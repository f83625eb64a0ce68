import ChatModel
import Foundation
import LMDB

/// The chat's `ChatRepository` on LMDB: one environment (`data.mdb` in the data directory),
/// records with their indexes written in one transaction, one writer thread with group commit.
public final class ChatStore: @unchecked Sendable {
    /// The schema this build writes. Older stores are migrated; newer ones are refused.
    public static let schemaVersion: UInt32 = 3

    public struct Options: Sendable {
        public var migrate = false
        public var mapSize = 64 << 20
        public var maxBatch = 1024
        /// The clock for created_at / joined_at (µs since the epoch); replaceable in tests.
        public var now: @Sendable () -> Micros = { SystemClock().wallMicros() }
        public init(migrate: Bool = false) { self.migrate = migrate }
    }

    public let directory: String
    let environment: Environment
    let tables: Tables
    let writer: Writer
    let now: @Sendable () -> Micros
    /// What opening this store migrated that the operator should know (renamed users, …).
    public let migrationNotes: [String]
    private let closeLock = NSLock()
    private var isClosed = false

    /// Opens (creating if needed) the store in `directory`. With `migrate`, an older schema is
    /// brought up to date; without, it is refused with a clear error. A newer schema is refused.
    public static func open(directory: String, migrate: Bool = false) throws -> ChatStore {
        try ChatStore(directory: directory, options: Options(migrate: migrate))
    }

    public init(directory: String, options: Options) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var envOptions = Environment.Options()
        envOptions.mapSize = options.mapSize
        envOptions.maxDatabases = 16
        envOptions.maxReaders = 256
        let environment = try Environment(path: directory, options: envOptions)
        let tables = try Tables(environment: environment, create: true)
        migrationNotes = try Migrations.prepare(environment: environment, tables: tables, migrate: options.migrate, now: options.now())
        self.directory = directory
        self.environment = environment
        self.tables = tables
        self.now = options.now
        self.writer = Writer(environment: environment, maxBatch: options.maxBatch)
    }

    deinit { close() }

    /// Lets queued writes finish, stops the writer and closes the environment.
    public func close() {
        closeLock.lock()
        defer { closeLock.unlock() }
        guard !isClosed else { return }
        isClosed = true
        writer.stop()
        environment.close()
    }

    /// Called after each commit with (batch size, seconds): for metrics.
    public var onCommit: (@Sendable (Int, Double) -> Void)? {
        get { writer.onCommit }
        set { writer.onCommit = newValue }
    }

    /// Round-trips through the writer thread: fails or hangs if the writer is stuck (watchdog).
    public func ping() async throws { try await writer.ping() }

    /// How many stale reader slots `mdb_reader_check` cleared when the store opened.
    public var staleReadersCleared: Int { environment.staleReadersCleared }



    /// Makes every read and write fail, as a broken disk would: how the daemon's answers to
    /// storage failures are tested end to end (set only by the `FITCHAT_TEST_HOOKS` routes).
    public let injectedFailures = FailureSwitch()

    func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        if injectedFailures.isOn { throw ChatStoreError.injectedFailure }
        return try environment.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Transaction, Tables) throws -> T) async throws -> T {
        if injectedFailures.isOn { throw ChatStoreError.injectedFailure }
        let tables = self.tables
        return try await writer.submit { txn in try body(txn, tables) }
    }
}
