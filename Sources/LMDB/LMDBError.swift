import CLMDB

/// Every failure of the LMDB layer: an `MDB_*` return code or an errno, with LMDB's own text.
public struct LMDBError: Error, Equatable, Hashable, CustomStringConvertible {
    public let code: Int32

    public init(code: Int32) { self.code = code }

    public static let keyExist = LMDBError(code: MDB_KEYEXIST)
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    public static let pageNotFound = LMDBError(code: MDB_PAGE_NOTFOUND)
    public static let corrupted = LMDBError(code: MDB_CORRUPTED)
    public static let panic = LMDBError(code: MDB_PANIC)
    public static let versionMismatch = LMDBError(code: MDB_VERSION_MISMATCH)
    public static let invalid = LMDBError(code: MDB_INVALID)
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    public static let dbsFull = LMDBError(code: MDB_DBS_FULL)
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    public static let tlsFull = LMDBError(code: MDB_TLS_FULL)
    public static let txnFull = LMDBError(code: MDB_TXN_FULL)
    public static let cursorFull = LMDBError(code: MDB_CURSOR_FULL)
    public static let pageFull = LMDBError(code: MDB_PAGE_FULL)
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    public static let incompatible = LMDBError(code: MDB_INCOMPATIBLE)
    public static let badReaderSlot = LMDBError(code: MDB_BAD_RSLOT)
    public static let badTransaction = LMDBError(code: MDB_BAD_TXN)
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    public static let badDBI = LMDBError(code: MDB_BAD_DBI)

    /// A value stored in the database could not be decoded by its codec.
    public static let decoding = LMDBError(code: -1)

    public var description: String {
        if self == .decoding { return "LMDB: stored value could not be decoded" }
        return "LMDB: " + String(cString: mdb_strerror(code)) + " (\(code))"
    }

    /// Turns an `mdb_*` return code into a thrown error.
    @inline(__always)
    static func check(_ rc: Int32) throws(LMDBError) {
        if rc != 0 { throw LMDBError(code: rc) }
    }
}
