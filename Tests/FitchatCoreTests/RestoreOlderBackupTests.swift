import ChatModel
import ChatStore
import Configuration
import Foundation
import LMDB
import TestSupport
import Testing

@testable import Administration

@Suite struct RestoreOlderBackupTests {
    /// The tables of schema 3: what a backup made before the upgrade to schema 4 holds.
    static let schemaThreeTables = [
        "meta", "rooms", "rooms_by_name", "users", "users_by_name", "messages", "room_time", "participants",
        "user_rooms", "sessions",
    ]

    static func raw(_ dir: String) throws -> Environment {
        var options = Environment.Options()
        options.maxDatabases = 16
        return try Environment(path: dir, options: options)
    }

    /// A backup directory holding the schema-3 tables of `source`'s store, marked version 3.
    static func schemaThreeBackup(of source: String) throws -> String {
        let target = temporaryDirectory()
        let from = try raw(source)
        defer { from.close() }
        let to = try raw(target)
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

    /// Upgrading fitchat must not make the backups made before it unrestorable.
    @Test func aBackupFromBeforeTheUpgradeIsMigratedAsItIsRestored() async throws {
        let original = temporaryDirectory()
        let store = try ChatStore.open(directory: original)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .admin, passwordHash: "h")
        let general = try #require(try store.room(named: "general"))
        let sent = try await store.append(
            NewMessage(roomID: general.id, userID: ann.id, text: "from before the upgrade"))
        store.close()
        let backup = try Self.schemaThreeBackup(of: original)

        var settings = Settings(layout: InstallLayout(isInstalled: false, executableDir: "/src/.build/debug"))
        settings.dataDir = temporaryDirectory()
        #expect(try StoreOperations.restore(settings: settings, from: backup) == nil)

        let restored = try ChatStore.open(directory: settings.dataDir)
        defer { restored.close() }
        #expect(try restored.status().schemaVersion == ChatStore.schemaVersion)
        #expect(try restored.user(named: "ann") == ann)
        #expect(try restored.message(id: sent.id) == sent)
        #expect(try restored.check() == [])
        // The backup itself is left as it was.
        #expect(throws: ChatStoreError.needsMigration(found: 3, supported: ChatStore.schemaVersion)) {
            try ChatStore.open(directory: backup, readOnly: true)
        }
    }
}
