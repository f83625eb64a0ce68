import ChatModel
import LMDB

/// Recovery, read positions, unread counts, mentions and preferences (schema 6).
extension ChatStore {
    /// Newer messages come from the room-time index walked back from the end (bounded by `limit`
    /// whatever `since` is), older changed ones from the room's change log after `since`.
    public func recovery(room: RoomID, since: MessageID, limit: Int) throws -> RoomRecovery? {
        try read { txn in
            var newer: [MessageID] = []
            var hasOlder = false
            try txn.cursor(tables.roomTime).scan(prefix: room.encoded, reverse: true) { key, _ in
                guard key.c > since else {
                    hasOlder = true
                    return false
                }
                newer.append(key.c)
                return newer.count <= limit
            }
            guard newer.count <= limit else { return nil }
            let changes = try txn.entries(
                tables.roomChanges, from: RoomChangeKey(room, since &+ 1).encoded,
                to: prefixUpperBound(room.encoded), limit: limit + 1)
            guard changes.count <= limit else { return nil }
            let updated = try changes.compactMap { _, id in id <= since ? try txn.get(tables.messages, id) : nil }
            let messages = try newer.reversed().compactMap { try txn.get(tables.messages, $0) }
            return RoomRecovery(messages: messages, updated: updated, hasOlder: hasOlder)
        }
    }

    public func markRead(room: RoomID, user: UserID, message id: MessageID) async throws -> ReadMark {
        try await write { txn, tables in
            let key = RoomUserKey(room, user)
            guard var participant = try txn.get(tables.participants, key) else { throw RepositoryError.notParticipant }
            guard let message = try txn.get(tables.messages, id), message.roomID == room,
                let count = try txn.get(tables.roomTime, RoomTimeKey(room, message.createdAt, id))
            else { throw RepositoryError.messageNotFound(id) }
            guard id > participant.lastRead else { return ReadMark(position: participant.lastRead, moved: false) }
            participant.lastRead = id
            participant.lastReadCount = count
            try txn.put(tables.participants, key, participant)
            return ReadMark(position: id, moved: true)
        }
    }

    /// Per room: two index lookups (the room's last entry, the participant) and a range count of
    /// the user's mentions there after the read position, stopped at `cap`.
    public func readStates(user: UserID, rooms: [RoomID], cap: Int) throws -> [RoomID: RoomReadState] {
        try read { txn in
            var states: [RoomID: RoomReadState] = [:]
            for room in rooms {
                let end = try Self.roomEnd(txn, tables, room)
                guard let participant = try txn.get(tables.participants, RoomUserKey(room, user)) else {
                    states[room] = RoomReadState(lastID: end?.id, lastRead: nil, unread: 0, mentions: 0)
                    continue
                }
                let unread = (end?.count ?? 0) > participant.lastReadCount ? end!.count - participant.lastReadCount : 0
                var mentions = 0
                try txn.cursor(tables.roomMentions).scan(
                    from: UserRoomMessageKey(user, room, participant.lastRead &+ 1).encoded,
                    to: prefixUpperBound(RoomUserKey(user, room).encoded)
                ) { _, _ in
                    mentions += 1
                    return mentions < cap
                }
                states[room] = RoomReadState(
                    lastID: end?.id, lastRead: participant.lastRead, unread: Int(clamping: unread), mentions: mentions)
            }
            return states
        }
    }

    public func mentions(ofUser user: UserID, before: MessageID?, limit: Int) throws -> [Message] {
        try read { txn in
            let prefix = user.encoded
            let upper = before.map { RoomUserKey(user, $0).encoded } ?? prefixUpperBound(prefix)
            return try txn.entries(tables.mentions, from: prefix, to: upper, reverse: true, limit: limit)
                .compactMap { key, _ in try txn.get(tables.messages, key.b) }
        }
    }

    public func preferences(ofUser user: UserID) throws -> Preferences {
        try read { txn in try txn.get(tables.preferences, user) ?? Preferences() }
    }

    public func setPreferences(_ preferences: Preferences, ofUser user: UserID) async throws {
        try await write { txn, tables in
            guard try txn.contains(tables.users, user) else { throw RepositoryError.userNotFound("#\(user)") }
            try txn.put(tables.preferences, user, preferences)
        }
    }
}
