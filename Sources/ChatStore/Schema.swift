import ChatModel
import LMDB

typealias RoomTimeKey = Key3<RoomID, Micros, MessageID>
typealias RoomUserKey = Key2<UInt64, UInt64>
/// room · revision (a number from the message-id counter): the room's change log.
typealias RoomChangeKey = Key2<RoomID, UInt64>
/// user · room · message: a mention, per room (unread mention counts).
typealias UserRoomMessageKey = Key3<UserID, RoomID, MessageID>
/// message id · room id: one posting of the search index (big-endian, so a term's postings are in
/// message order and carry the room without reading the message).
typealias Posting = Key2<MessageID, RoomID>

/// The named databases of the store. Every record table and its indexes are written in one
/// transaction; integer keys are big-endian so byte order is numeric order.
struct Tables {
    let meta: Database<String, Bytes>
    let rooms: Database<RoomID, Room>
    let roomsByName: Database<String, RoomID>
    let users: Database<UserID, User>
    let usersByName: Database<String, UserID>
    let messages: Database<MessageID, Message>
    /// room · created_at · message id → the room's running count of unread-counting messages
    /// (`Message.countsAsUnread`) up to this one (schema 6; empty before): a room's messages in
    /// time order, and unread = count now − count at the read position.
    let roomTime: Database<RoomTimeKey, UInt64>
    /// room · user → participant record.
    let participants: Database<RoomUserKey, Participant>
    /// user · room → (empty): the rooms of a user.
    let userRooms: Database<RoomUserKey, Empty>
    let sessions: Database<Bytes, SessionValue>
    /// Schema 4: invites, and SHA-256 of the code → invite id.
    let invites: Database<InviteID, Invite>
    let invitesByHash: Database<Bytes, InviteID>
    /// Schema 4: one-time sign-in links, and SHA-256 of the code → link id.
    let signInLinks: Database<SignInLinkID, SignInLink>
    let signInLinksByHash: Database<Bytes, SignInLinkID>
    /// Schema 5: message id → its reactions, one record, so a toggle is one put in one write.
    /// A message without reactions (and every tombstone) has no entry.
    let reactions: Database<MessageID, StoredReactions>
    /// Schema 5: lower user id · higher user id → the pair's direct room: one room per pair,
    /// looked up and created in the same write transaction.
    let directRooms: Database<RoomUserKey, RoomID>
    /// Schema 6: room · revision → message id: each message's latest change (edit, delete,
    /// reaction), one entry per changed message (the previous one is removed), so "what changed
    /// after message N" is a range scan from (room, N + 1).
    let roomChanges: Database<RoomChangeKey, MessageID>
    /// Schema 6: user · message → room: a user's mentions, newest last.
    let mentions: Database<RoomUserKey, RoomID>
    /// Schema 6: user · room · message → (empty): the same mentions by room, for unread counts.
    let roomMentions: Database<UserRoomMessageKey, Empty>
    /// Schema 6: user → their preferences (absent: the defaults).
    let preferences: Database<UserID, Preferences>
    /// Schema 7: user · room → the user's mute and ban there (absent: neither).
    let restrictions: Database<RoomUserKey, RoomRestriction>
    /// Schema 7: reports of messages to the moderators, by id.
    let reports: Database<ReportID, Report>
    /// Schema 7: message · reporter → report id: one report per reporter and message.
    let reportsByMessage: Database<RoomUserKey, ReportID>
    /// Schema 7: search term → postings (sorted duplicates), one per live text or system message
    /// holding the term (see `SearchTerms`); written with the message in its transaction.
    let searchTerms: MultiDatabase<String, Posting>

    /// The names of the tables schema 4 added (a read-only open of an older store must not look for them).
    static let addedInSchema4 = ["invites", "invites_by_hash", "signin_links", "signin_links_by_hash"]
    /// The names of the tables schema 5 added.
    static let addedInSchema5 = ["reactions", "direct_rooms"]
    /// The names of the tables schema 6 added.
    static let addedInSchema6 = ["room_changes", "mentions", "room_mentions", "preferences"]
    /// The names of the tables schema 7 added.
    static let addedInSchema7 = ["restrictions", "reports", "reports_by_message", "search_terms"]

    init(environment env: Environment, create: Bool) throws {
        meta = try env.database(named: "meta", create: create)
        rooms = try env.database(named: "rooms", create: create)
        roomsByName = try env.database(named: "rooms_by_name", create: create)
        users = try env.database(named: "users", create: create)
        usersByName = try env.database(named: "users_by_name", create: create)
        messages = try env.database(named: "messages", create: create)
        roomTime = try env.database(named: "room_time", create: create)
        participants = try env.database(named: "participants", create: create)
        userRooms = try env.database(named: "user_rooms", create: create)
        sessions = try env.database(named: "sessions", create: create)
        invites = try env.database(named: "invites", create: create)
        invitesByHash = try env.database(named: "invites_by_hash", create: create)
        signInLinks = try env.database(named: "signin_links", create: create)
        signInLinksByHash = try env.database(named: "signin_links_by_hash", create: create)
        reactions = try env.database(named: "reactions", create: create)
        directRooms = try env.database(named: "direct_rooms", create: create)
        roomChanges = try env.database(named: "room_changes", create: create)
        mentions = try env.database(named: "mentions", create: create)
        roomMentions = try env.database(named: "room_mentions", create: create)
        preferences = try env.database(named: "preferences", create: create)
        restrictions = try env.database(named: "restrictions", create: create)
        reports = try env.database(named: "reports", create: create)
        reportsByMessage = try env.database(named: "reports_by_message", create: create)
        searchTerms = try env.multiDatabase(named: "search_terms", create: create)
    }

    /// Entries per table, for `fitchat db status`.
    func counts(_ txn: Transaction) throws -> [(String, Int)] {
        [
            ("meta", try txn.count(meta)), ("rooms", try txn.count(rooms)),
            ("rooms_by_name", try txn.count(roomsByName)),
            ("users", try txn.count(users)), ("users_by_name", try txn.count(usersByName)),
            ("messages", try txn.count(messages)), ("room_time", try txn.count(roomTime)),
            ("participants", try txn.count(participants)), ("user_rooms", try txn.count(userRooms)),
            ("sessions", try txn.count(sessions)), ("invites", try txn.count(invites)),
            ("invites_by_hash", try txn.count(invitesByHash)), ("signin_links", try txn.count(signInLinks)),
            ("signin_links_by_hash", try txn.count(signInLinksByHash)), ("reactions", try txn.count(reactions)),
            ("direct_rooms", try txn.count(directRooms)), ("room_changes", try txn.count(roomChanges)),
            ("mentions", try txn.count(mentions)), ("room_mentions", try txn.count(roomMentions)),
            ("preferences", try txn.count(preferences)), ("restrictions", try txn.count(restrictions)),
            ("reports", try txn.count(reports)), ("reports_by_message", try txn.count(reportsByMessage)),
            ("search_terms", try txn.count(searchTerms)),
        ]
    }
}

/// Keys of the `meta` table.
enum MetaKey {
    static let schemaVersion = "schema_version"
    static let nextRoomID = "next_id.room"
    static let nextUserID = "next_id.user"
    static let nextMessageID = "next_id.message"
    static let nextInviteID = "next_id.invite"
    static let nextSignInLinkID = "next_id.signin_link"
    static let nextReportID = "next_id.report"
    /// When `fitchat backup` last succeeded (µs since the epoch).
    static let lastBackupAt = "last_backup_at"
    /// Written and deleted in one write to test a full disk (never left behind).
    static let storageProbe = "storage_probe"
}

extension Tables {
    func metaU64(_ txn: Transaction, _ key: String) throws -> UInt64? {
        guard let bytes = try txn.get(meta, key) else { return nil }
        return try bytes.bytes.withUnsafeBytes { raw throws(LMDBError) in try UInt64.decode(raw) }
    }

    func setMetaU64(_ txn: Transaction, _ key: String, _ value: UInt64) throws {
        try txn.put(meta, key, Bytes(value.encoded))
    }

    /// Takes the next id of a counter (ids start at 1 and strictly increase).
    func nextID(_ txn: Transaction, _ key: String) throws -> UInt64 {
        let next = try metaU64(txn, key) ?? 1
        try setMetaU64(txn, key, next + 1)
        return next
    }
}
