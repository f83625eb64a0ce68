import ChatModel
import LMDB

/// Schema versions and the steps between them. Each step runs inside the one write transaction
/// that also records the new version, so a migration is applied whole or not at all.
enum Migrations {
    /// Step from version `n` to `n + 1`, by `n`.
    static let steps: [UInt32: (Transaction, Tables) throws -> Void] = [
        // Version 1 had no user_rooms index: build it from the participants.
        1: { txn, tables in
            try txn.clear(tables.userRooms)
            try txn.cursor(tables.participants).scan { key, _ in
                try txn.put(tables.userRooms, RoomUserKey(key.b, key.a), Empty())
                return true
            }
        },
    ]

    /// Initialises a new store (schema version, the seed rooms) or checks / migrates an existing one.
    static func prepare(environment: Environment, tables: Tables, migrate: Bool, now: Micros) throws {
        try environment.write { txn in
            guard let found = try tables.metaU64(txn, MetaKey.schemaVersion).map(UInt32.init) else {
                try initialise(txn, tables, now: now)
                return
            }
            if found > ChatStore.schemaVersion {
                throw ChatStoreError.newerSchema(found: found, supported: ChatStore.schemaVersion)
            }
            guard found < ChatStore.schemaVersion else { return }
            guard migrate else { throw ChatStoreError.needsMigration(found: found, supported: ChatStore.schemaVersion) }
            for version in found..<ChatStore.schemaVersion {
                try steps[version]!(txn, tables)
            }
            try tables.setMetaU64(txn, MetaKey.schemaVersion, UInt64(ChatStore.schemaVersion))
        }
    }

    private static func initialise(_ txn: Transaction, _ tables: Tables, now: Micros) throws {
        try tables.setMetaU64(txn, MetaKey.schemaVersion, UInt64(ChatStore.schemaVersion))
        for seed in seedRooms {
            _ = try ChatStore.insertRoom(txn, tables, name: seed.name, description: seed.description, isPrivate: false, now: now)
        }
    }
}
