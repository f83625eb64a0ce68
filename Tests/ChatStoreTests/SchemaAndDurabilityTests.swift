import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

/// Edits a closed store's raw file, as an older or newer fitchat would have left it.
private func rewriteRaw(_ dir: String, schemaVersion: UInt64, clearUserRooms: Bool = false) throws {
    var options = Environment.Options()
    options.maxDatabases = 16
    let environment = try Environment(path: dir, options: options)
    defer { environment.close() }
    let meta = try environment.database(named: "meta", create: false, as: (String.self, Bytes.self))
    let userRooms = try environment.database(named: "user_rooms", create: false, as: (Bytes.self, Bytes.self))
    try environment.write { txn in
        try txn.put(meta, "schema_version", Bytes(schemaVersion.encoded))
        if clearUserRooms { try txn.clear(userRooms) }
    }
}

@Suite struct SchemaTests {
    @Test func aVersionOneFileIsRefusedUntilMigratedThenRebuilt() async throws {
        let dir = temporaryDirectory()
        var store = try makeStore(dir)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        let rooms = try store.allRooms()
        for room in rooms.prefix(3) { _ = try await store.join(room: room.id, user: ann.id) }
        _ = try await store.append(NewMessage(roomID: rooms[0].id, userID: ann.id, text: "kept"))
        let before = try store.status().entries.map { "\($0.table)=\($0.count)" }
        store.close()

        // Version 1 had no user_rooms index.
        try rewriteRaw(dir, schemaVersion: 1, clearUserRooms: true)
        #expect(throws: ChatStoreError.needsMigration(found: 1, supported: ChatStore.schemaVersion)) {
            try makeStore(dir)
        }
        store = try makeStore(dir, migrate: true)
        defer { store.close() }
        #expect(try store.status().schemaVersion == ChatStore.schemaVersion)
        #expect(try Set(store.rooms(ofUser: ann.id)) == Set(rooms.prefix(3).map(\.id)))
        #expect(try store.status().entries.map { "\($0.table)=\($0.count)" } == before)
        #expect(try store.check() == [])
    }

    @Test func aFileFromANewerFitchatIsRefusedClearly() throws {
        let dir = temporaryDirectory()
        try makeStore(dir).close()
        try rewriteRaw(dir, schemaVersion: 99)
        do {
            _ = try makeStore(dir, migrate: true)
            Issue.record("a newer schema was opened")
        } catch let error as ChatStoreError {
            #expect(error == .newerSchema(found: 99, supported: ChatStore.schemaVersion))
            #expect(error.description.contains("newer"))
        }
    }
}

@Suite struct DurabilityTests {
    /// Kills a busy appender with SIGKILL at random moments: every message it saw acknowledged must
    /// be there afterwards, and the indexes must agree with the records.
    @Test func everyAcknowledgedMessageSurvivesSIGKILL() async throws {
        let bench = binaryDirectory() + "/fitchat-bench"
        let dir = temporaryDirectory()
        var generator = SeededGenerator(seed: 0xF17C4A7)
        var totalAcked = 0
        for round in 0..<20 {
            let delay = Int.random(in: 50...500, using: &generator)
            // Reading the child's pipe blocks: on a thread of its own, not the suites' shared pool.
            let (ready, acked, killed) = try await blocking {
                let child = try Child(bench, ["crash-child", "--data-dir", dir])
                let ready = child.readLine() == "READY"
                let pid = child.process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) { _ = kill(pid, SIGKILL) }
                var acked: [UInt64] = []
                while let line = child.readLine() {
                    if line.hasPrefix("ACK "), let id = UInt64(line.dropFirst(4)) { acked.append(id) }
                }
                child.process.waitUntilExit()
                return (ready, acked, child.process.terminationReason == .uncaughtSignal)
            }
            #expect(ready, "round \(round): the child did not start")
            #expect(killed, "round \(round): the child was not killed")
            totalAcked += acked.count

            let store = try makeStore(dir)
            defer { store.close() }
            #expect(try store.check() == [], "round \(round)")
            let missing = try acked.filter { try store.message(id: $0) == nil }
            #expect(missing.isEmpty, "round \(round): \(missing.count) of \(acked.count) acknowledged messages lost")
        }
        #expect(totalAcked > 0, "no append was ever acknowledged")
        print("crash test: 20 SIGKILL rounds, \(totalAcked) acknowledged appends, all present")
    }

    /// A CLI process writes while the store is open here; this process sees the write at once.
    @Test func aWriteFromAnotherProcessIsSeenWithoutReopening() async throws {
        let dir = temporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        // An empty config of our own, so the machine's /etc/fitchat cannot leak in.
        let config = dir + "/empty.conf"
        _ = FileManager.default.createFile(atPath: config, contents: Data())
        let status = try await blocking {
            let cli = Process()
            cli.executableURL = URL(fileURLWithPath: binaryDirectory() + "/fitchat")
            cli.arguments = ["user", "add", "zed", "--display-name", "Zed", "--data-dir", dir, "--config", config]
            try cli.run()
            cli.waitUntilExit()
            return cli.terminationStatus
        }
        #expect(status == 0)
        #expect(try store.user(named: "zed")?.displayName == "Zed")
        let room = try store.room(named: "general")!
        let sent = try await store.append(
            NewMessage(roomID: room.id, userID: try store.user(named: "zed")!.id, text: "hi"))
        #expect(try store.message(id: sent.id)?.text == "hi")
        #expect(try store.check() == [])
    }
}
