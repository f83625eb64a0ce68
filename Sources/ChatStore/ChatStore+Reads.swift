import ChatModel
import LMDB

extension ChatStore {
    public func allRooms() throws -> [Room] {
        try read { txn in try txn.entries(tables.rooms).map(\.1) }
    }

    public func room(id: RoomID) throws -> Room? {
        try read { txn in try txn.get(tables.rooms, id) }
    }

    public func room(named name: String) throws -> Room? {
        try read { txn in try Self.room(txn, tables, named: name) }
    }

    static func room(_ txn: Transaction, _ tables: Tables, named name: String) throws -> Room? {
        guard let id = try txn.get(tables.roomsByName, name) else { return nil }
        return try txn.get(tables.rooms, id)
    }

    public func allUsers() throws -> [User] {
        try read { txn in try txn.entries(tables.users).map(\.1) }
    }

    public func userCount() throws -> Int {
        try read { txn in try txn.count(tables.users) }
    }

    public func user(id: UserID) throws -> User? {
        try read { txn in try txn.get(tables.users, id) }
    }

    public func user(named name: String) throws -> User? {
        try read { txn in
            guard let id = try txn.get(tables.usersByName, Names.folded(name)) else { return nil }
            return try txn.get(tables.users, id)
        }
    }

    public func participants(ofRoom room: RoomID) throws -> [Participant] {
        try read { txn in try txn.entries(tables.participants, prefix: room.encoded).map(\.1) }
    }

    public func participant(room: RoomID, user: UserID) throws -> Participant? {
        try read { txn in try txn.get(tables.participants, RoomUserKey(room, user)) }
    }

    public func rooms(ofUser user: UserID) throws -> [RoomID] {
        try read { txn in try txn.entries(tables.userRooms, prefix: user.encoded).map(\.0.b) }
    }

    /// The last number the message-id counter gave out (0 before the first): every message with
    /// an id up to it was committed already.
    public func lastMessageID() throws -> MessageID {
        try read { txn in (try tables.metaU64(txn, MetaKey.nextMessageID) ?? 1) - 1 }
    }

    public func message(id: MessageID) throws -> Message? {
        try read { txn in try txn.get(tables.messages, id) }
    }

    /// The latest `limit` messages: the cursor starts just past the room's last key and walks back.
    public func latestMessages(room: RoomID, limit: Int) throws -> [Message] {
        try read { txn in
            try messages(txn, keys: txn.entries(tables.roomTime, prefix: room.encoded, reverse: true, limit: limit))
                .reversed()
        }
    }

    public func messages(room: RoomID, before: MessageID, limit: Int) throws -> [Message] {
        try read { txn in
            let prefix = room.encoded
            guard let anchor = try txn.get(tables.messages, before), anchor.roomID == room else {
                // Unknown cursor: fall back to id order, which equals time order within a room.
                var keys: [(RoomTimeKey, UInt64)] = []
                try txn.cursor(tables.roomTime).scan(prefix: prefix, reverse: true) { key, value in
                    if key.c < before { keys.append((key, value)) }
                    return keys.count < limit
                }
                return try messages(txn, keys: keys).reversed()
            }
            let upper = RoomTimeKey(room, anchor.createdAt, anchor.id).encoded
            return try messages(
                txn, keys: txn.entries(tables.roomTime, from: prefix, to: upper, reverse: true, limit: limit)
            ).reversed()
        }
    }

    public func messages(room: RoomID, after: MessageID, limit: Int) throws -> [Message] {
        try read { txn in
            let prefix = room.encoded
            guard let anchor = try txn.get(tables.messages, after), anchor.roomID == room else {
                var keys: [(RoomTimeKey, UInt64)] = []
                try txn.cursor(tables.roomTime).scan(prefix: prefix) { key, value in
                    if key.c > after { keys.append((key, value)) }
                    return keys.count < limit
                }
                return try messages(txn, keys: keys)
            }
            let lower = RoomTimeKey(room, anchor.createdAt, anchor.id + 1).encoded
            return try messages(
                txn, keys: txn.entries(tables.roomTime, from: lower, to: prefixUpperBound(prefix), limit: limit))
        }
    }

    private func messages(_ txn: Transaction, keys: [(RoomTimeKey, UInt64)]) throws -> [Message] {
        try keys.compactMap { key, _ in try txn.get(tables.messages, key.c) }
    }

    public func session(tokenHash: [UInt8]) throws -> Session? {
        try read { txn in
            guard let value = try txn.get(tables.sessions, Bytes(tokenHash)) else { return nil }
            return Session(tokenHash: tokenHash, userID: value.userID, expiresAt: value.expiresAt)
        }
    }

    /// Every message (or one room's), oldest first, read in chunks so a long export never pins
    /// one snapshot of the map for its whole duration.
    public func forEachMessage(room: RoomID? = nil, chunk: Int = 1000, _ body: (Message) throws -> Void) throws {
        var lower: [UInt8]? = room.map { $0.encoded }
        let upper: [UInt8]? = room.flatMap { prefixUpperBound($0.encoded) }
        while true {
            let batch: [Message] = try read { txn in
                if room != nil {
                    let keys = try txn.entries(tables.roomTime, from: lower, to: upper, limit: chunk)
                    if let last = keys.last?.0 { lower = RoomTimeKey(last.a, last.b, last.c + 1).encoded }
                    return try messages(txn, keys: keys)
                }
                let entries = try txn.entries(tables.messages, from: lower, limit: chunk)
                if let last = entries.last?.0 { lower = (last + 1).encoded }
                return entries.map(\.1)
            }
            for message in batch { try body(message) }
            if batch.count < chunk { return }
        }
    }
}
