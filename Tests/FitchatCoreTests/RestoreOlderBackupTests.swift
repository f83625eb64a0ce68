import ChatModel
import ChatStore
import Configuration
import Foundation
import LMDB
import TestSupport
import Testing

@testable import Administration

@Suite struct RestoreOlderBackupTests {
    /// Upgrading fitchat must not make the backups made before it unrestorable.
    @Test func aBackupFromBeforeTheUpgradeIsMigratedAsItIsRestored() async throws {
        let original = temporaryDirectory()
        let store = try ChatStore.open(directory: original)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .admin, passwordHash: "h")
        let general = try #require(try store.room(named: "general"))
        let sent = try await store.append(
            NewMessage(roomID: general.id, userID: ann.id, text: "from before the upgrade"))
        store.close()
        let backup = try schemaThreeCopy(of: original)

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
