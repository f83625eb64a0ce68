import ChatModel
import LMDB

/// Edits, tombstones, reactions and direct rooms (schema 5). Each is one write transaction that
/// re-reads what it changes, so concurrent calls serialise on the writer and never undo each other.
extension ChatStore {
    public func editMessage(id: MessageID, text: String, mentions: [UserID], standing: Bool) async throws -> Message {
        let now = self.now()
        return try await write { txn, tables in
            var message = try Self.liveMessage(txn, tables, id)
            if standing {
                try Self.requireStanding(txn, tables, room: message.roomID, user: message.userID, now: now)
            }
            let old = message
            var mentioned: [UserID] = []
            for user in mentions where user != message.userID && !mentioned.contains(user) { mentioned.append(user) }
            try Self.removeMentions(
                txn, tables, of: message, users: message.mentions.filter { !mentioned.contains($0) })
            try Self.addMentions(txn, tables, of: message, users: mentioned.filter { !message.mentions.contains($0) })
            message.text = text
            message.mentions = mentioned
            message.isEdited = true
            message.editedAt = max(now, message.createdAt)
            try Self.reindexForSearch(txn, tables, from: old, to: message)
            try Self.logChange(txn, tables, &message)
            return message
        }
    }

    /// The record stays (history keeps its place) but its text, reactions and search postings are
    /// removed from the file, not merely hidden.
    public func deleteMessage(id: MessageID) async throws -> Message {
        try await write { txn, tables in
            var message = try Self.liveMessage(txn, tables, id)
            let old = message
            try Self.removeMentions(txn, tables, of: message, users: message.mentions)
            message.deleted = true
            message.text = ""
            message.mentions = []
            try Self.reindexForSearch(txn, tables, from: old, to: message)
            _ = try txn.delete(tables.reactions, id)
            try Self.logChange(txn, tables, &message)
            return message
        }
    }

    public func react(message id: MessageID, user: UserID, emoji: String, on: Bool, standing: Bool) async throws
        -> [Reaction]
    {
        let now = self.now()
        return try await write { txn, tables in
            var message = try Self.liveMessage(txn, tables, id)
            guard try txn.contains(tables.users, user) else { throw RepositoryError.userNotFound("#\(user)") }
            if standing { try Self.requireStanding(txn, tables, room: message.roomID, user: user, now: now) }
            let current = try txn.get(tables.reactions, id)?.list ?? []
            guard let next = Reaction.toggled(current, emoji: emoji, user: user, on: on) else {
                throw RepositoryError.tooManyReactions
            }
            guard next != current else { return next }
            if next.isEmpty {
                _ = try txn.delete(tables.reactions, id)
            } else {
                try txn.put(tables.reactions, id, StoredReactions(list: next))
            }
            try Self.logChange(txn, tables, &message)
            return next
        }
    }

    public func reactions(ofMessage id: MessageID) throws -> [Reaction] {
        try read { txn in try txn.get(tables.reactions, id)?.list ?? [] }
    }

    public func openDirectRoom(_ pair: DirectPair) async throws -> DirectRoomOpening {
        let now = self.now()
        return try await write { txn, tables in
            for user in [pair.low, pair.high] where !(try txn.contains(tables.users, user)) {
                throw RepositoryError.userNotFound("#\(user)")
            }
            let key = RoomUserKey(pair.low, pair.high)
            var created = false
            let room: Room
            if let id = try txn.get(tables.directRooms, key), let existing = try txn.get(tables.rooms, id) {
                room = existing
            } else {
                guard try txn.get(tables.roomsByName, pair.roomName) == nil else {
                    throw RepositoryError.roomExists(pair.roomName)
                }
                room = Room(
                    id: try tables.nextID(txn, MetaKey.nextRoomID), name: pair.roomName, description: "",
                    createdAt: now, isActive: true, isPrivate: true, direct: pair)
                try txn.put(tables.rooms, room.id, room)
                try txn.put(tables.roomsByName, room.name, room.id)
                try txn.put(tables.directRooms, key, room.id)
                created = true
            }
            // Both are participants, again if one had left: no `join` message in a conversation of two.
            var added: [UserID] = []
            // One who comes back starts read to the end, as any new participant does.
            let end = try Self.roomEnd(txn, tables, room.id)
            for user in [pair.low, pair.high] where !(try txn.contains(tables.participants, RoomUserKey(room.id, user)))
            {
                added.append(user)
                try txn.put(
                    tables.participants, RoomUserKey(room.id, user),
                    Participant(
                        roomID: room.id, userID: user, joinedAt: now, lastActive: now, lastRead: end?.id ?? 0,
                        lastReadCount: end?.count ?? 0))
                try txn.put(tables.userRooms, RoomUserKey(user, room.id), Empty())
            }
            return DirectRoomOpening(room: room, created: created, added: added)
        }
    }

    /// Gives the changed message a new revision (the next number of the message-id counter), moves
    /// its entry in the room's change log there and stores it: the log holds each changed message
    /// once, at its latest change.
    static func logChange(_ txn: Transaction, _ tables: Tables, _ message: inout Message) throws {
        if message.revision != 0 {
            _ = try txn.delete(tables.roomChanges, RoomChangeKey(message.roomID, message.revision))
        }
        message.revision = try tables.nextID(txn, MetaKey.nextMessageID)
        try txn.put(tables.roomChanges, RoomChangeKey(message.roomID, message.revision), message.id)
        try txn.put(tables.messages, message.id, message)
    }

    /// The message, unless it is missing or a tombstone.
    private static func liveMessage(_ txn: Transaction, _ tables: Tables, _ id: MessageID) throws -> Message {
        guard let message = try txn.get(tables.messages, id), !message.deleted else {
            throw RepositoryError.messageNotFound(id)
        }
        return message
    }
}
