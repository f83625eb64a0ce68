import ChatModel
import Foundation

/// `ChatRepository` in memory, following the protocol's documented semantics as `ChatStore` does:
/// user names folded (`Names.folded`), a display name may not pass for another user's name, ids
/// strictly increase (per kind, from 1), join/leave store their messages, an append moves the
/// sender's `last_active`, `created_at` never goes back within a room. Writes are "durable" when
/// they return. `failing` makes every call throw, to stand for a store that fails.
/// `@unchecked Sendable`: `tables` and `failing` are read and written only under `lock`.
public final class InMemoryChatRepository: ChatRepository, @unchecked Sendable {
    /// What a failing repository throws.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public init() {}
        public var description: String { "the test store failed" }
    }

    /// Which calls throw `Failure`.
    public enum FailureMode: Sendable, Equatable {
        case none
        case writes
        case everything
    }

    struct Tables {
        var rooms: [RoomID: Room] = [:]
        var users: [UserID: User] = [:]
        var usersByFolded: [String: UserID] = [:]
        var participants: [RoomID: [UserID: Participant]] = [:]
        var messages: [MessageID: Message] = [:]
        var sessions: [[UInt8]: Session] = [:]
        var reactions: [MessageID: [Reaction]] = [:]
        var directRooms: [DirectPair: RoomID] = [:]
        var preferences: [UserID: Preferences] = [:]
        var restrictions: [RoomUserPair: RoomRestriction] = [:]
        var reports: [ReportID: Report] = [:]
        var nextReport: ReportID = 1
        var nextRoom: RoomID = 1
        var nextUser: UserID = 1
        var nextMessage: MessageID = 1
    }

    private let lock = NSLock()
    private var tables = Tables()
    private var mode = FailureMode.none
    private let clock: any ChatClock

    public init(clock: any ChatClock) { self.clock = clock }

    /// Makes later calls fail (or work again).
    public func fail(_ mode: FailureMode) { locked { _ in self.mode = mode } }

    private func locked<T>(_ body: (inout Tables) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&tables)
    }

    func read<T>(_ body: (Tables) throws -> T) throws -> T {
        try locked { tables in
            guard mode != .everything else { throw Failure() }
            return try body(tables)
        }
    }

    func write<T>(_ body: (inout Tables, Micros) throws -> T) async throws -> T {
        let now = clock.wallMicros()
        return try locked { tables in
            guard mode == .none else { throw Failure() }
            return try body(&tables, now)
        }
    }

    // MARK: Rooms

    public func allRooms() throws -> [Room] { try read { $0.rooms.values.sorted { $0.id < $1.id } } }
    public func room(id: RoomID) throws -> Room? { try read { $0.rooms[id] } }
    public func room(named name: String) throws -> Room? { try read { $0.rooms.values.first { $0.name == name } } }

    public func createRoom(name: String, description: String, isPrivate: Bool) async throws -> Room {
        try await write { tables, now in
            guard !tables.rooms.values.contains(where: { $0.name == name }) else {
                throw RepositoryError.roomExists(name)
            }
            let room = Room(
                id: tables.nextRoom, name: name, description: description, createdAt: now, isPrivate: isPrivate)
            tables.nextRoom += 1
            tables.rooms[room.id] = room
            return room
        }
    }

    public func archiveRoom(named name: String) async throws -> Room {
        try await write { tables, _ in
            guard var room = tables.rooms.values.first(where: { $0.name == name }) else {
                throw RepositoryError.roomNotFound(name)
            }
            room.isActive = false
            tables.rooms[room.id] = room
            return room
        }
    }

    // MARK: Users

    public func allUsers() throws -> [User] { try read { $0.users.values.sorted { $0.id < $1.id } } }
    public func userCount() throws -> Int { try read { $0.users.count } }
    public func user(id: UserID) throws -> User? { try read { $0.users[id] } }

    public func user(named name: String) throws -> User? {
        try read { tables in tables.usersByFolded[Names.folded(name)].flatMap { tables.users[$0] } }
    }

    public func createUser(name: String, displayName: String, role: UserRole, passwordHash: String?, hostApp: Bool)
        async throws -> User
    {
        try await write { tables, now in
            if let taken = tables.usersByFolded[Names.folded(name)] {
                throw RepositoryError.userExists(tables.users[taken]?.name ?? name)
            }
            try Self.requireHonestDisplayName(tables, displayName, of: name, id: nil)
            let user = User(
                id: tables.nextUser, name: name, displayName: displayName, role: role, passwordHash: passwordHash,
                disabled: false, createdAt: now, hostApp: hostApp)
            tables.nextUser += 1
            tables.users[user.id] = user
            tables.usersByFolded[Names.folded(name)] = user.id
            return user
        }
    }

    public func updateUser(_ user: User) async throws {
        try await write { tables, _ in
            guard let stored = tables.users[user.id] else { throw RepositoryError.userNotFound(user.name) }
            if user.displayName != stored.displayName {
                try Self.requireHonestDisplayName(tables, user.displayName, of: stored.name, id: user.id)
            }
            var updated = user
            updated.name = stored.name
            updated.createdAt = stored.createdAt
            tables.users[user.id] = updated
        }
    }

    private static func requireHonestDisplayName(_ tables: Tables, _ displayName: String, of name: String, id: UserID?)
        throws
    {
        let impersonates = Names.displayNameImpersonates(displayName, ownName: name) { key in
            guard let holder = tables.usersByFolded[key] else { return false }
            return holder != id
        }
        if impersonates { throw RepositoryError.displayNameTaken(displayName) }
    }

    // MARK: Membership

    public func participants(ofRoom room: RoomID) throws -> [Participant] {
        try read { ($0.participants[room] ?? [:]).values.sorted { $0.userID < $1.userID } }
    }

    public func participant(room: RoomID, user: UserID) throws -> Participant? {
        try read { $0.participants[room]?[user] }
    }

    public func rooms(ofUser user: UserID) throws -> [RoomID] {
        try read { tables in tables.participants.filter { $0.value[user] != nil }.keys.sorted() }
    }

    public func join(room: RoomID, user: UserID, readToEnd: Bool, onlyIfParticipant: Bool) async throws
        -> Membership
    {
        try await write { tables, now in
            if var existing = tables.participants[room]?[user] {
                let previous = existing.lastRead
                if readToEnd, let end = roomMessages(tables, room).last?.id,
                    end > existing.lastRead
                {
                    existing.lastRead = end
                    tables.participants[room]?[user] = existing
                }
                return Membership(participant: existing, joinMessage: nil, previousRead: previous)
            }
            guard !onlyIfParticipant else { throw RepositoryError.notParticipant }
            try Self.requireRoomAndUser(tables, room: room, user: user)
            if tables.restrictions[RoomUserPair(room: room, user: user)]?.banned == true {
                throw RepositoryError.banned
            }
            tables.participants[room, default: [:]][user] = Participant(
                roomID: room, userID: user, joinedAt: now, lastActive: now)
            let message = Self.insertMessage(
                &tables, NewMessage(roomID: room, userID: user, text: "joined the room", type: .join), now: now)
            return Membership(participant: tables.participants[room]![user]!, joinMessage: message)
        }
    }

    public func leave(room: RoomID, user: UserID) async throws -> Message? {
        try await write { tables, now in
            guard tables.participants[room]?.removeValue(forKey: user) != nil else { return nil }
            return Self.insertMessage(
                &tables, NewMessage(roomID: room, userID: user, text: "left the room", type: .leave), now: now)
        }
    }

    static func requireRoomAndUser(_ tables: Tables, room: RoomID, user: UserID) throws {
        guard tables.rooms[room] != nil else { throw RepositoryError.roomNotFound("#\(room)") }
        guard tables.users[user] != nil else { throw RepositoryError.userNotFound("#\(user)") }
    }

    // MARK: Messages

    public func append(_ message: NewMessage) async throws -> Message {
        try await write { tables, now in
            try Self.requireRoomAndUser(tables, room: message.roomID, user: message.userID)
            if message.fromParticipant {
                try Self.requireStanding(tables, room: message.roomID, user: message.userID, now: now)
            }
            return Self.insertMessage(&tables, message, now: now)
        }
    }

    /// The store's `requireStanding`: a participant, neither banned nor muted.
    static func requireStanding(_ tables: Tables, room: RoomID, user: UserID, now: Micros) throws {
        if let restriction = tables.restrictions[RoomUserPair(room: room, user: user)] {
            if restriction.banned { throw RepositoryError.banned }
            if restriction.isMuted(at: now), let until = restriction.mutedUntil {
                throw RepositoryError.muted(until: until)
            }
        }
        guard tables.participants[room]?[user] != nil else { throw RepositoryError.notParticipant }
    }

    /// The message, and the sender's `last_active`; `created_at` never goes back within a room.
    static func insertMessage(_ tables: inout Tables, _ new: NewMessage, now: Micros) -> Message {
        let last = tables.messages.values.filter { $0.roomID == new.roomID }.map(\.createdAt).max()
        let createdAt = max(now, last ?? now)
        var mentioned: [UserID] = []
        for user in new.mentions where user != new.userID && !mentioned.contains(user) { mentioned.append(user) }
        let message = Message(
            id: tables.nextMessage, roomID: new.roomID, userID: new.userID, text: new.text, type: new.type,
            createdAt: createdAt, mentions: mentioned)
        tables.nextMessage += 1
        tables.messages[message.id] = message
        tables.participants[new.roomID]?[new.userID]?.lastActive = createdAt
        tables.participants[new.roomID]?[new.userID]?.lastRead = message.id
        return message
    }

    public func message(id: MessageID) throws -> Message? { try read { $0.messages[id] } }

    /// Room-time order, which is id order within a room.
    private func roomMessages(_ tables: Tables, _ room: RoomID) -> [Message] {
        tables.messages.values.filter { $0.roomID == room }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func latestMessages(room: RoomID, limit: Int) throws -> [Message] {
        try read { Array(roomMessages($0, room).suffix(limit)) }
    }

    public func messages(room: RoomID, before: MessageID, limit: Int) throws -> [Message] {
        try read { Array(roomMessages($0, room).filter { $0.id < before }.suffix(limit)) }
    }

    public func messages(room: RoomID, after: MessageID, limit: Int) throws -> [Message] {
        try read { Array(roomMessages($0, room).filter { $0.id > after }.prefix(limit)) }
    }

    // MARK: Recovery, read state, mentions, preferences

    public func recovery(room: RoomID, since: MessageID, limit: Int) throws -> RoomRecovery? {
        try read { tables in
            let all = roomMessages(tables, room)
            let newer = all.filter { $0.id > since }
            let updated = all.filter { $0.id <= since && $0.revision > since }.sorted { $0.revision < $1.revision }
            guard newer.count <= limit, updated.count <= limit else { return nil }
            return RoomRecovery(messages: newer, updated: updated, hasOlder: all.contains { $0.id <= since })
        }
    }

    public func markRead(room: RoomID, user: UserID, message id: MessageID) async throws -> ReadMark {
        try await write { tables, _ in
            guard let participant = tables.participants[room]?[user] else { throw RepositoryError.notParticipant }
            guard let message = tables.messages[id], message.roomID == room else {
                throw RepositoryError.messageNotFound(id)
            }
            guard id > participant.lastRead else { return ReadMark(position: participant.lastRead, moved: false) }
            tables.participants[room]?[user]?.lastRead = id
            return ReadMark(position: id, moved: true)
        }
    }

    public func readStates(user: UserID, rooms: [RoomID], cap: Int) throws -> [RoomID: RoomReadState] {
        try read { tables in
            var states: [RoomID: RoomReadState] = [:]
            for room in rooms {
                let all = roomMessages(tables, room)
                guard let participant = tables.participants[room]?[user] else {
                    states[room] = RoomReadState(lastID: all.last?.id, lastRead: nil, unread: 0, mentions: 0)
                    continue
                }
                let unread = all.filter { $0.id > participant.lastRead }
                states[room] = RoomReadState(
                    lastID: all.last?.id, lastRead: participant.lastRead,
                    unread: unread.filter(\.countsAsUnread).count,
                    mentions: min(cap, unread.filter { $0.mentions.contains(user) }.count))
            }
            return states
        }
    }

    public func mentions(ofUser user: UserID, before: MessageID?, limit: Int) throws -> [Message] {
        try read { tables in
            Array(
                tables.messages.values.filter { $0.mentions.contains(user) && $0.id < (before ?? .max) }
                    .sorted { $0.id > $1.id }.prefix(limit))
        }
    }

    public func preferences(ofUser user: UserID) throws -> Preferences {
        try read { $0.preferences[user] ?? Preferences() }
    }

    public func setPreferences(_ preferences: Preferences, ofUser user: UserID) async throws {
        try await write { tables, _ in
            guard tables.users[user] != nil else { throw RepositoryError.userNotFound("#\(user)") }
            tables.preferences[user] = preferences
        }
    }

    // MARK: Edits, tombstones, reactions, direct rooms

    private static func liveMessage(_ tables: Tables, _ id: MessageID) throws -> Message {
        guard let message = tables.messages[id], !message.deleted else { throw RepositoryError.messageNotFound(id) }
        return message
    }

    /// The next number of the message-id counter, for a change (as the store's change log does).
    private static func revise(_ tables: inout Tables, _ message: inout Message) {
        message.revision = tables.nextMessage
        tables.nextMessage += 1
        tables.messages[message.id] = message
    }

    public func editMessage(id: MessageID, text: String, mentions: [UserID], standing: Bool) async throws -> Message {
        try await write { tables, now in
            var message = try Self.liveMessage(tables, id)
            if standing { try Self.requireStanding(tables, room: message.roomID, user: message.userID, now: now) }
            var mentioned: [UserID] = []
            for user in mentions where user != message.userID && !mentioned.contains(user) { mentioned.append(user) }
            message.mentions = mentioned
            message.text = text
            message.isEdited = true
            message.editedAt = max(now, message.createdAt)
            Self.revise(&tables, &message)
            return message
        }
    }

    public func deleteMessage(id: MessageID) async throws -> Message {
        try await write { tables, _ in
            var message = try Self.liveMessage(tables, id)
            message.deleted = true
            message.text = ""
            message.mentions = []
            tables.reactions.removeValue(forKey: id)
            Self.revise(&tables, &message)
            return message
        }
    }

    public func react(message id: MessageID, user: UserID, emoji: String, on: Bool, standing: Bool) async throws
        -> [Reaction]
    {
        try await write { tables, now in
            var message = try Self.liveMessage(tables, id)
            guard tables.users[user] != nil else { throw RepositoryError.userNotFound("#\(user)") }
            if standing { try Self.requireStanding(tables, room: message.roomID, user: user, now: now) }
            let current = tables.reactions[id] ?? []
            guard let next = Reaction.toggled(current, emoji: emoji, user: user, on: on) else {
                throw RepositoryError.tooManyReactions
            }
            guard next != current else { return next }
            tables.reactions[id] = next.isEmpty ? nil : next
            Self.revise(&tables, &message)
            return next
        }
    }

    public func reactions(ofMessage id: MessageID) throws -> [Reaction] { try read { $0.reactions[id] ?? [] } }

    // MARK: Search

    /// As the store answers, less its bound on the work per call: every live text and system
    /// message of the rooms is looked at, newest first.
    public func search(_ query: SearchQuery, rooms: Set<RoomID>, before: MessageID?, limit: Int) throws -> SearchPage {
        try read { tables in
            guard limit > 0 else { return SearchPage(messages: [], nextBefore: nil) }
            let found = tables.messages.values
                .filter { message in
                    rooms.contains(message.roomID) && message.isSearchable && message.id < (before ?? .max)
                        && query.matches(SearchTerms.distinctTerms(in: message.text))
                }
                .sorted { $0.id > $1.id }.prefix(limit + 1)
            guard found.count > limit else { return SearchPage(messages: Array(found), nextBefore: nil) }
            let shown = Array(found.prefix(limit))
            return SearchPage(messages: shown, nextBefore: shown.last?.id)
        }
    }

    public func openDirectRoom(_ pair: DirectPair) async throws -> DirectRoomOpening {
        try await write { tables, now in
            for user in [pair.low, pair.high] where tables.users[user] == nil {
                throw RepositoryError.userNotFound("#\(user)")
            }
            var created = false
            let room: Room
            if let id = tables.directRooms[pair], let existing = tables.rooms[id] {
                room = existing
            } else {
                guard !tables.rooms.values.contains(where: { $0.name == pair.roomName }) else {
                    throw RepositoryError.roomExists(pair.roomName)
                }
                room = Room(
                    id: tables.nextRoom, name: pair.roomName, description: "", createdAt: now, isPrivate: true,
                    direct: pair)
                tables.nextRoom += 1
                tables.rooms[room.id] = room
                tables.directRooms[pair] = room.id
                created = true
            }
            var added: [UserID] = []
            let end = roomMessages(tables, room.id).last?.id ?? 0
            for user in [pair.low, pair.high] where tables.participants[room.id]?[user] == nil {
                added.append(user)
                tables.participants[room.id, default: [:]][user] = Participant(
                    roomID: room.id, userID: user, joinedAt: now, lastActive: now, lastRead: end)
            }
            return DirectRoomOpening(room: room, created: created, added: added)
        }
    }

    // MARK: Sessions

    public func createSession(_ session: Session) async throws {
        try await write { tables, _ in tables.sessions[session.tokenHash] = session }
    }

    public func session(tokenHash: [UInt8]) throws -> Session? { try read { $0.sessions[tokenHash] } }

    public func deleteSession(tokenHash: [UInt8]) async throws {
        try await write { tables, _ in _ = tables.sessions.removeValue(forKey: tokenHash) }
    }

    public func deleteSessions(ofUser user: UserID) async throws -> Int {
        try await write { tables, _ in
            let doomed = tables.sessions.filter { $0.value.userID == user }.map(\.key)
            for key in doomed { tables.sessions.removeValue(forKey: key) }
            return doomed.count
        }
    }
}
