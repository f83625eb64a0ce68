import ChatModel
import Foundation
import LMDB

/// What `fitchat db status` shows.
public struct StoreStatus: Sendable {
    public var schemaVersion: UInt32
    public var path: String
    public var fileSize: Int
    public var mapSize: Int
    public var entries: [(table: String, count: Int)]
    public var readersInUse: Int
    public var maxReaders: Int
    public var staleReadersCleared: Int
}

extension ChatStore {
    public func status() throws -> StoreStatus {
        let info = environment.info()
        return try read { txn in
            StoreStatus(
                schemaVersion: UInt32(try tables.metaU64(txn, MetaKey.schemaVersion) ?? 0),
                path: (directory as NSString).appendingPathComponent("data.mdb"),
                fileSize: environment.fileSize, mapSize: info.mapSize,
                entries: try tables.counts(txn).map { (table: $0.0, count: $0.1) },
                readersInUse: info.readersInUse, maxReaders: info.maxReaders,
                staleReadersCleared: environment.staleReadersCleared)
        }
    }

    /// A hot, compacted copy (`mdb_env_copy2` with `MDB_CP_COMPACT`) into an existing empty directory.
    public func backup(to directory: String) throws {
        try environment.copy(to: directory, compact: true)
    }

    /// The same copy written to `fd` (an open, empty file in `directory`, named for the messages).
    public func backup(toFileDescriptor fd: Int32, in directory: String) throws {
        do {
            try environment.copy(toFileDescriptor: fd, compact: true)
        } catch let error as LMDBError where error.code == ENOSPC || error.code == EDQUOT {
            throw ChatStoreError.backupDiskFull(directory: directory)
        }
    }

    /// Every inconsistency between the record tables and their indexes, in both directions
    /// (empty when the store is sound). Runs in one read transaction: a consistent snapshot.
    public func check(limit: Int = 100) throws -> [String] {
        try read { txn in
            var problems: [String] = []
            func report(_ text: String) -> Bool {
                // Later scans still run after one stopped at the limit: they add nothing more.
                if problems.count < limit { problems.append(text) }
                return problems.count < limit
            }
            // rooms <-> rooms_by_name
            try txn.cursor(tables.rooms).scan { id, room in
                if room.id != id { return report("rooms[\(id)] holds a record with id \(room.id)") }
                if try txn.get(tables.roomsByName, room.name) != id {
                    return report("room \(id) '\(room.name)' is missing from rooms_by_name")
                }
                // A direct room is private and listed in direct_rooms under its pair.
                if let pair = room.direct {
                    if try txn.get(tables.directRooms, RoomUserKey(pair.low, pair.high)) != id {
                        return report("direct room \(id) '\(room.name)' is missing from direct_rooms")
                    }
                    if !room.isPrivate { return report("direct room \(id) '\(room.name)' is not private") }
                }
                return true
            }
            try txn.cursor(tables.roomsByName).scan { name, id in
                guard let room = try txn.get(tables.rooms, id), room.name == name else {
                    return report("rooms_by_name['\(name)'] points at missing room \(id)")
                }
                return true
            }
            // users <-> users_by_name
            try txn.cursor(tables.users).scan { id, user in
                if user.id != id { return report("users[\(id)] holds a record with id \(user.id)") }
                if try txn.get(tables.usersByName, Names.folded(user.name)) != id {
                    return report("user \(id) '\(user.name)' is missing from users_by_name")
                }
                return true
            }
            try txn.cursor(tables.usersByName).scan { name, id in
                guard let user = try txn.get(tables.users, id), Names.folded(user.name) == name else {
                    return report("users_by_name['\(name)'] points at missing user \(id)")
                }
                return true
            }
            // messages <-> room_time
            try txn.cursor(tables.messages).scan { id, message in
                if message.id != id { return report("messages[\(id)] holds a record with id \(message.id)") }
                if !(try txn.contains(tables.roomTime, RoomTimeKey(message.roomID, message.createdAt, id))) {
                    return report("message \(id) is missing from room_time")
                }
                if !(try txn.contains(tables.rooms, message.roomID)) {
                    return report("message \(id) belongs to missing room \(message.roomID)")
                }
                if !(try txn.contains(tables.users, message.userID)) {
                    return report("message \(id) was sent by missing user \(message.userID)")
                }
                if message.deleted, !message.text.isEmpty || !message.mentions.isEmpty {
                    return report("deleted message \(id) still holds its text or mentions")
                }
                if message.revision != 0,
                    try txn.get(tables.roomChanges, RoomChangeKey(message.roomID, message.revision)) != id
                {
                    return report("message \(id) is missing from its room's change log")
                }
                for user in message.mentions {
                    guard try txn.get(tables.mentions, RoomUserKey(user, id)) == message.roomID,
                        try txn.contains(tables.roomMentions, UserRoomMessageKey(user, message.roomID, id))
                    else {
                        return report("message \(id) mentions user \(user), who is missing from the mention indexes")
                    }
                }
                return true
            }
            var countingRoom: RoomID = 0
            var count: UInt64 = 0
            try txn.cursor(tables.roomTime).scan { key, stored in
                guard let message = try txn.get(tables.messages, key.c), message.roomID == key.a,
                    message.createdAt == key.b
                else {
                    return report(
                        "room_time entry (room \(key.a), \(key.b), message \(key.c)) points at a missing or different message"
                    )
                }
                if key.a != countingRoom { (countingRoom, count) = (key.a, 0) }
                if message.countsAsUnread { count += 1 }
                if stored != count {
                    return report("room_time entry of message \(key.c) counts \(stored) messages, not \(count)")
                }
                return true
            }
            // participants <-> user_rooms
            try txn.cursor(tables.participants).scan { key, participant in
                if participant.roomID != key.a || participant.userID != key.b {
                    return report(
                        "participants[\(key.a),\(key.b)] holds the record of (\(participant.roomID),\(participant.userID))"
                    )
                }
                if !(try txn.contains(tables.userRooms, RoomUserKey(key.b, key.a))) {
                    return report("participant (room \(key.a), user \(key.b)) is missing from user_rooms")
                }
                if !(try txn.contains(tables.rooms, key.a)) { return report("participant of missing room \(key.a)") }
                if participant.lastRead != 0 {
                    guard let read = try txn.get(tables.messages, participant.lastRead), read.roomID == key.a,
                        try txn.get(tables.roomTime, RoomTimeKey(key.a, read.createdAt, read.id))
                            == participant.lastReadCount
                    else {
                        return report(
                            "participant (room \(key.a), user \(key.b)) has read up to message \(participant.lastRead), "
                                + "which is not in the room or counted differently")
                    }
                }
                if !(try txn.contains(tables.users, key.b)) { return report("participant is missing user \(key.b)") }
                return true
            }
            try txn.cursor(tables.userRooms).scan { key, _ in
                if !(try txn.contains(tables.participants, RoomUserKey(key.b, key.a))) {
                    return report("user_rooms entry (user \(key.a), room \(key.b)) has no participant record")
                }
                return true
            }
            // sessions -> users
            try txn.cursor(tables.sessions).scan { _, session in
                if !(try txn.contains(tables.users, session.userID)) {
                    return report("a session belongs to missing user \(session.userID)")
                }
                return true
            }
            // invites <-> invites_by_hash
            try txn.cursor(tables.invites).scan { id, invite in
                if invite.id != id { return report("invites[\(id)] holds a record with id \(invite.id)") }
                if try txn.get(tables.invitesByHash, Bytes(invite.codeHash)) != id {
                    return report("invite \(id) is missing from invites_by_hash")
                }
                return true
            }
            try txn.cursor(tables.invitesByHash).scan { hash, id in
                guard let invite = try txn.get(tables.invites, id), invite.codeHash == hash.bytes else {
                    return report("invites_by_hash points at missing or different invite \(id)")
                }
                return true
            }
            // signin_links <-> signin_links_by_hash, and each link's user
            try txn.cursor(tables.signInLinks).scan { id, link in
                if link.id != id { return report("signin_links[\(id)] holds a record with id \(link.id)") }
                if try txn.get(tables.signInLinksByHash, Bytes(link.codeHash)) != id {
                    return report("sign-in link \(id) is missing from signin_links_by_hash")
                }
                if !(try txn.contains(tables.users, link.userID)) {
                    return report("sign-in link \(id) belongs to missing user \(link.userID)")
                }
                return true
            }
            try txn.cursor(tables.signInLinksByHash).scan { hash, id in
                guard let link = try txn.get(tables.signInLinks, id), link.codeHash == hash.bytes else {
                    return report("signin_links_by_hash points at missing or different sign-in link \(id)")
                }
                return true
            }
            try checkMessageChanges(txn, report)
            try checkReadState(txn, report)
            try checkModeration(txn, report)
            try checkSearchIndex(txn, report)
            return problems
        }
    }

    /// Schema 6's own tables point back at what they index (the messages and participants scans
    /// check the other direction).
    private func checkReadState(_ txn: Transaction, _ report: (String) -> Bool) throws {
        try txn.cursor(tables.roomChanges).scan { key, id in
            guard let message = try txn.get(tables.messages, id), message.roomID == key.a, message.revision == key.b
            else {
                return report(
                    "change log entry (room \(key.a), revision \(key.b)) points at a missing or different message \(id)"
                )
            }
            return true
        }
        try txn.cursor(tables.mentions).scan { key, room in
            guard let message = try txn.get(tables.messages, key.b), message.roomID == room,
                message.mentions.contains(key.a)
            else { return report("mention of user \(key.a) points at message \(key.b), which does not mention them") }
            return true
        }
        try txn.cursor(tables.roomMentions).scan { key, _ in
            guard try txn.get(tables.mentions, RoomUserKey(key.a, key.c)) == key.b else {
                return report("room_mentions entry (user \(key.a), room \(key.b), message \(key.c)) has no mention")
            }
            return true
        }
        try txn.cursor(tables.preferences).scan { user, _ in
            if !(try txn.contains(tables.users, user)) { return report("preferences of missing user \(user)") }
            return true
        }
    }

    /// Schema 5's own tables: reactions belong to live messages and name existing users, and each
    /// direct_rooms entry points at its direct room (the rooms and messages scans check the rest:
    /// every direct room is in direct_rooms, tombstones hold no text).
    private func checkMessageChanges(_ txn: Transaction, _ report: (String) -> Bool) throws {
        try txn.cursor(tables.reactions).scan { id, stored in
            guard let message = try txn.get(tables.messages, id) else {
                return report("reactions of missing message \(id)")
            }
            if message.deleted { return report("deleted message \(id) still holds reactions") }
            if stored.list.isEmpty || stored.list.contains(where: { $0.users.isEmpty }) {
                return report("reactions of message \(id) hold an emoji nobody chose")
            }
            if stored.list.count > Reaction.maxPerMessage {
                return report("message \(id) holds \(stored.list.count) different reactions")
            }
            for user in stored.list.flatMap(\.users) where !(try txn.contains(tables.users, user)) {
                return report("a reaction to message \(id) names missing user \(user)")
            }
            return true
        }
        try txn.cursor(tables.directRooms).scan { key, roomID in
            guard let room = try txn.get(tables.rooms, roomID), room.direct == DirectPair(key.a, key.b), key.a < key.b
            else {
                return report(
                    "direct_rooms entry (users \(key.a), \(key.b)) points at a missing or different room \(roomID)")
            }
            return true
        }
    }
}
