import CLMDB

/// A named database whose keys and values go through the given codecs.
public struct Database<Key: LMDBCodable, Value: LMDBCodable>: Sendable {
    public let name: String
    let dbi: MDB_dbi
}
