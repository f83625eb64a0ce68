import CLMDB

/// Every failure of the LMDB layer: an `MDB_*` return code or an errno, with LMDB's own text.
public struct LMDBError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    public let code: Int32

    public init(code: Int32) { self.code = code }

    public static let keyExist = LMDBError(code: MDB_KEYEXIST)
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    public static let invalid = LMDBError(code: MDB_INVALID)
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    /// The database exists with other flags than asked for (plain versus sorted duplicates).
    public static let incompatible = LMDBError(code: MDB_INCOMPATIBLE)

    /// A value stored in the database could not be decoded by its codec.
    public static let decoding = LMDBError(code: -1)
    /// The environment was closed: no transaction can begin.
    public static let closed = LMDBError(code: -2)

    public var description: String {
        if self == .decoding { return "LMDB: stored value could not be decoded" }
        if self == .closed { return "LMDB: the environment is closed" }
        return "LMDB: " + String(cString: mdb_strerror(code)) + " (\(code))"
    }

    /// Turns an `mdb_*` return code into a thrown error.
    @inline(__always)
    static func check(_ rc: Int32) throws(LMDBError) {
        if rc != 0 { throw LMDBError(code: rc) }
    }
}
