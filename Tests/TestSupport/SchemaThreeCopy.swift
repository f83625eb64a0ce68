import Foundation
import LMDB

/// The tables of schema 3, as a fitchat of that version wrote them (before invites).
public let schemaThreeTables = [
    "meta", "rooms", "rooms_by_name", "users", "users_by_name", "messages", "room_time", "participants",
    "user_rooms", "sessions",
]

/// Copies a closed store's schema-3 tables into a new directory, without the tables later schemas
/// added, and marks it version 3: the file (or backup) an older fitchat left.
public func schemaThreeCopy(of source: String) throws -> String {
    let target = temporaryDirectory()
    let from = try rawEnvironment(source)
    defer { from.close() }
    let to = try rawEnvironment(target)
    defer { to.close() }
    for name in schemaThreeTables {
        let a = try from.database(named: name, create: false, as: (Bytes.self, Bytes.self))
        let b = try to.database(named: name, create: true, as: (Bytes.self, Bytes.self))
        let entries = try from.read { txn in try txn.entries(a) }
        try to.write { txn in for (key, value) in entries { try txn.put(b, key, value) } }
    }
    let meta = try to.database(named: "meta", create: false, as: (String.self, Bytes.self))
    try to.write { txn in try txn.put(meta, "schema_version", Bytes(UInt64(3).encoded)) }
    try? FileManager.default.removeItem(atPath: (target as NSString).appendingPathComponent("lock.mdb"))
    return target
}

/// Opens a store's file without ChatStore, to write what a bug or an older fitchat would leave.
public func rawEnvironment(_ dir: String) throws -> Environment {
    var options = Environment.Options()
    options.maxDatabases = 32
    return try Environment(path: dir, options: options)
}
