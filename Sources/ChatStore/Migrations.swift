import ChatModel
import LMDB

/// Schema versions and the steps between them. Each step runs inside the one write transaction
/// that also records the new version, so a migration is applied whole or not at all.
enum Migrations {
    /// Step from version `n` to `n + 1`, by `n`; each returns notes for the operator.
    static let steps: [UInt32: @Sendable (Transaction, Tables) throws -> [String]] = [
        // Version 1 had no user_rooms index: build it from the participants.
        1: { txn, tables in
            try txn.clear(tables.userRooms)
            try txn.cursor(tables.participants).scan { key, _ in
                try txn.put(tables.userRooms, RoomUserKey(key.b, key.a), Empty())
                return true
            }
            return []
        },
        2: { txn, tables in try foldUserNamesAndMarkHostAppUsers(txn, tables) },
        // Version 4 added invites and one-time sign-in links: their (empty) tables are created
        // when the store opens; nothing older needs rewriting.
        3: { _, _ in [] },
        // Version 5 added reactions and the direct-room index: their (empty) tables are created
        // when the store opens. Nothing older is rewritten: a version-1 room record reads as a
        // public or private room (never direct), and message records already carried `deleted`
        // (false until now).
        4: { txn, tables in try renameRoomsInTheDirectNamespace(txn, tables) },
        // Version 6 added read positions, unread counts, mentions and the rooms' change logs.
        5: { txn, tables in try countMessagesAndStartReadPositionsAtTheEnd(txn, tables) },
        // Version 7 added the search index (built from every message there is), and restrictions
        // (mutes, bans) and reports, whose (empty) tables are created when the store opens.
        6: { txn, tables in try indexEveryMessageForSearch(txn, tables) },
    ]

    /// Version 6 had no search index: every live text and system message enters it.
    static func indexEveryMessageForSearch(_ txn: Transaction, _ tables: Tables) throws -> [String] {
        let (messages, postings) = try ChatStore.buildSearchIndex(txn, tables)
        guard messages > 0 else { return [] }
        return [
            "indexed \(messages) message\(messages == 1 ? "" : "s") for search (\(postings) posting\(postings == 1 ? "" : "s"))"
        ]
    }

    /// Version 5 had empty room-time values, no read positions and no change log.
    ///
    /// - Each room-time entry gets the room's running count of unread-counting messages.
    /// - Every message already edited, deleted or reacted to enters its room's change log (a fresh
    ///   revision each), so a client that was away before the upgrade still learns of the change.
    /// - Every participant's read position starts at the end of the room: nobody meets a wall of
    ///   unread history after the upgrade.
    ///
    /// The index is rewritten in chunks of keys read ahead of their puts, never under a live cursor.
    static func countMessagesAndStartReadPositionsAtTheEnd(_ txn: Transaction, _ tables: Tables) throws -> [String] {
        var lower: [UInt8]? = nil
        var room: RoomID = 0
        var count: UInt64 = 0
        var entries = 0
        var logged = 0
        while true {
            var keys: [RoomTimeKey] = []
            try txn.cursor(tables.roomTime).scanKeys(from: lower) { key in
                keys.append(key)
                return keys.count < 10_000
            }
            for key in keys {
                if key.a != room {
                    room = key.a
                    count = 0
                }
                guard var message = try txn.get(tables.messages, key.c) else { continue }
                if message.countsAsUnread { count += 1 }
                try txn.put(tables.roomTime, key, count)
                if try message.isEdited || message.deleted || txn.contains(tables.reactions, message.id) {
                    try ChatStore.logChange(txn, tables, &message)
                    logged += 1
                }
            }
            entries += keys.count
            guard let last = keys.last, keys.count == 10_000 else { break }
            lower = RoomTimeKey(last.a, last.b, last.c &+ 1).encoded
        }
        var participants: [(RoomUserKey, Participant)] = []
        try txn.cursor(tables.participants).scan { key, participant in
            participants.append((key, participant))
            return true
        }
        for (key, var participant) in participants {
            if let end = try ChatStore.roomEnd(txn, tables, key.a) {
                participant.lastRead = end.id
                participant.lastReadCount = end.count
            }
            try txn.put(tables.participants, key, participant)
        }
        return entries == 0
            ? []
            : [
                "counted \(entries) message\(entries == 1 ? "" : "s") for unread counts; "
                    + "\(participants.count) read position\(participants.count == 1 ? "" : "s") start at the end of their rooms"
                    + (logged > 0
                        ? "; \(logged) earlier change\(logged == 1 ? "" : "s") entered the rooms' change logs" : "")
            ]
    }

    /// Version 5 reserved the `dm-` prefix for direct rooms. An ordinary room an admin named so
    /// before would stand in the way of the direct room of the same name: it becomes `room-dm-…`
    /// (a note says so); its messages, members and id stay.
    static func renameRoomsInTheDirectNamespace(_ txn: Transaction, _ tables: Tables) throws -> [String] {
        var squatters: [(String, RoomID)] = []
        try txn.cursor(tables.roomsByName).scan { name, id in
            if name.hasPrefix(DirectPair.roomNamePrefix) { squatters.append((name, id)) }
            return true
        }
        var notes: [String] = []
        for (old, id) in squatters {
            guard var room = try txn.get(tables.rooms, id), room.direct == nil else { continue }
            var candidate = "room-" + old
            var attempt = 1
            while try txn.get(tables.roomsByName, candidate) != nil {
                attempt += 1
                candidate = "room-\(old)-\(attempt)"
            }
            room.name = candidate
            _ = try txn.delete(tables.roomsByName, old)
            try txn.put(tables.roomsByName, candidate, id)
            try txn.put(tables.rooms, id, room)
            notes.append(
                "room '\(SafeText.forLog(old))' renamed to '\(SafeText.forLog(candidate))': names starting 'dm-' "
                    + "now belong to direct conversations")
        }
        return notes
    }

    /// Version 2 keyed users_by_name by the exact name and had no host-app mark.
    ///
    /// - users_by_name is rebuilt keyed by the folded name. Where two users fold alike (`alice`,
    ///   `ALICE`), the older keeps its name and the newer is renamed `NAME-ID` (a note says so);
    ///   no user, session or message is lost, and the renamed user's sessions stay valid.
    /// - Before version 3 any host-app token could sign in any user. Users without a password who
    ///   are not admins are what the host app provisioned (or `token issue --create` made); they
    ///   keep signing in with host-app tokens. Password accounts and admins no longer do unless an
    ///   admin links them (`fitchat user link-host NAME`).
    static func foldUserNamesAndMarkHostAppUsers(_ txn: Transaction, _ tables: Tables) throws -> [String] {
        var users: [User] = []
        try txn.cursor(tables.users).scan { _, user in
            users.append(user)
            return true
        }
        try txn.clear(tables.usersByName)
        var notes: [String] = []
        var marked = 0
        for var user in users.sorted(by: { $0.id < $1.id }) {
            if try txn.get(tables.usersByName, Names.folded(user.name)) != nil {
                let holder = try txn.get(tables.usersByName, Names.folded(user.name)).flatMap {
                    try txn.get(tables.users, $0)
                }
                let old = user.name
                user.name = try freeName(for: user, txn, tables)
                notes.append(
                    "user \(user.id) '\(SafeText.forLog(old))' has the same name as '\(SafeText.forLog(holder?.name ?? "?"))' "
                        + "(user \(holder?.id ?? 0)) apart from case or width; renamed to '\(user.name)'")
            }
            user.hostApp = user.passwordHash == nil && user.role == .member
            if user.hostApp { marked += 1 }
            try txn.put(tables.users, user.id, user)
            try txn.put(tables.usersByName, Names.folded(user.name), user.id)
        }
        if marked > 0 {
            notes.append(
                "\(marked) user\(marked == 1 ? "" : "s") without a password may keep signing in with host-app tokens; "
                    + "password accounts and admins no longer can (link one with 'fitchat user link-host NAME')")
        }
        return notes
    }

    private static func freeName(for user: User, _ txn: Transaction, _ tables: Tables) throws -> String {
        var attempt = 0
        while true {
            let suffix = "-\(user.id)" + (attempt == 0 ? "" : "-\(attempt)")
            let candidate = String(user.name.prefix(64 - suffix.utf8.count)) + suffix
            if try txn.get(tables.usersByName, Names.folded(candidate)) == nil { return candidate }
            attempt += 1
        }
    }

    /// Initialises a new store (schema version, the seed rooms) or checks / migrates an existing one.
    /// Returns what the operator should know about the migration (renamed users, …).
    static func prepare(environment: Environment, tables: Tables, migrate: Bool, now: Micros) throws -> [String] {
        try environment.write { txn in
            guard let found = try tables.metaU64(txn, MetaKey.schemaVersion).map(UInt32.init) else {
                try initialise(txn, tables, now: now)
                return []
            }
            if found > ChatStore.schemaVersion {
                throw ChatStoreError.newerSchema(found: found, supported: ChatStore.schemaVersion)
            }
            guard found < ChatStore.schemaVersion else { return [] }
            guard migrate else { throw ChatStoreError.needsMigration(found: found, supported: ChatStore.schemaVersion) }
            var notes: [String] = []
            for version in found..<ChatStore.schemaVersion {
                notes += try steps[version]!(txn, tables)
            }
            try tables.setMetaU64(txn, MetaKey.schemaVersion, UInt64(ChatStore.schemaVersion))
            return notes
        }
    }

    /// For a store opened read-only: refuses a store without the current schema version (a new,
    /// older or newer one), reading only.
    static func requireCurrent(environment: Environment) throws {
        // Only `meta` is opened here: an older store lacks the tables a newer schema added.
        let meta: Database<String, Bytes> = try environment.database(named: "meta", create: false)
        let found = try environment.read { txn -> UInt32? in
            guard let bytes = try txn.get(meta, MetaKey.schemaVersion) else { return nil }
            return UInt32(try bytes.bytes.withUnsafeBytes { raw throws(LMDBError) in try UInt64.decode(raw) })
        }
        if let found, found > ChatStore.schemaVersion {
            throw ChatStoreError.newerSchema(found: found, supported: ChatStore.schemaVersion)
        }
        guard found == ChatStore.schemaVersion else {
            throw ChatStoreError.needsMigration(found: found ?? 0, supported: ChatStore.schemaVersion)
        }
    }

    private static func initialise(_ txn: Transaction, _ tables: Tables, now: Micros) throws {
        try tables.setMetaU64(txn, MetaKey.schemaVersion, UInt64(ChatStore.schemaVersion))
        for seed in seedRooms {
            _ = try ChatStore.insertRoom(
                txn, tables, name: seed.name, description: seed.description, isPrivate: false, now: now)
        }
    }
}
