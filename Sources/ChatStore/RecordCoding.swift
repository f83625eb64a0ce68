import ChatModel
import LMDB

/// A compact binary record format: a version byte, then fields in a fixed order
/// (big-endian integers, length-prefixed UTF-8 strings, flag bytes).
struct RecordWriter {
    var bytes: [UInt8]

    init(version: UInt8) { bytes = [version] }

    mutating func u64(_ value: UInt64) { value.encode(into: &bytes) }
    mutating func i64(_ value: Int64) { value.encode(into: &bytes) }
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        UInt32(utf8.count).encode(into: &bytes)
        bytes.append(contentsOf: utf8)
    }
    mutating func byteString(_ value: [UInt8]) {
        UInt32(value.count).encode(into: &bytes)
        bytes.append(contentsOf: value)
    }
    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }
    mutating func optionalI64(_ value: Int64?) {
        bool(value != nil)
        if let value { i64(value) }
    }
}

struct RecordReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0
    let version: UInt8

    init(_ raw: UnsafeRawBufferPointer) throws(LMDBError) {
        guard raw.count >= 1 else { throw .decoding }
        self.raw = raw
        version = raw[0]
        offset = 1
    }

    private mutating func take(_ count: Int) throws(LMDBError) -> UnsafeRawBufferPointer {
        guard count >= 0, offset + count <= raw.count else { throw .decoding }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
    }

    mutating func u64() throws(LMDBError) -> UInt64 { try UInt64.decode(take(8)) }
    mutating func i64() throws(LMDBError) -> Int64 { try Int64.decode(take(8)) }
    mutating func u8() throws(LMDBError) -> UInt8 { try take(1)[0] }
    mutating func bool() throws(LMDBError) -> Bool { try u8() != 0 }
    mutating func string() throws(LMDBError) -> String {
        let count = Int(try UInt32.decode(take(4)))
        return String(decoding: try take(count), as: UTF8.self)
    }
    mutating func byteString() throws(LMDBError) -> [UInt8] {
        let count = Int(try UInt32.decode(take(4)))
        return Array(try take(count))
    }
    mutating func optionalString() throws(LMDBError) -> String? { try bool() ? try string() : nil }
    mutating func optionalI64() throws(LMDBError) -> Int64? { try bool() ? try i64() : nil }
}

/// Record version of every table: bump one when its layout changes and teach `decode` the old one.
enum RecordVersion {
    static let current: UInt8 = 1
    /// Users: 2 added the host-app mark (schema 3).
    static let user: UInt8 = 2
    /// Rooms: 2 added the direct pair (schema 5).
    static let room: UInt8 = 2
    /// Messages: 2 added mentions and the revision (schema 6).
    static let message: UInt8 = 2
    /// Participants: 2 added the read position (schema 6).
    static let participant: UInt8 = 2
}

extension Room: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.room)
        w.u64(id)
        w.string(name)
        w.string(description)
        w.i64(createdAt)
        w.bool(isActive)
        w.bool(isPrivate)
        w.bool(direct != nil)
        if let direct {
            w.u64(direct.low)
            w.u64(direct.high)
        }
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Room {
        var r = try RecordReader(raw)
        guard r.version == 1 || r.version == 2 else { throw .decoding }
        let id = try r.u64()
        let name = try r.string()
        let description = try r.string()
        let createdAt = try r.i64()
        let isActive = try r.bool()
        let isPrivate = try r.bool()
        // Version 1 (before schema 5) had no direct rooms.
        var direct: DirectPair?
        if r.version >= 2, try r.bool() { direct = DirectPair(try r.u64(), try r.u64()) }
        return Room(
            id: id, name: name, description: description, createdAt: createdAt, isActive: isActive,
            isPrivate: isPrivate, direct: direct)
    }
}

extension User: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.user)
        w.u64(id)
        w.string(name)
        w.string(displayName)
        w.u8(role.rawValue)
        w.optionalString(passwordHash)
        w.bool(disabled)
        w.i64(createdAt)
        w.bool(hostApp)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> User {
        var r = try RecordReader(raw)
        guard r.version == 1 || r.version == 2 else { throw .decoding }
        let id = try r.u64()
        let name = try r.string()
        let display = try r.string()
        guard let role = UserRole(rawValue: try r.u8()) else { throw .decoding }
        let hash = try r.optionalString()
        let disabled = try r.bool()
        let createdAt = try r.i64()
        // Version 1 had no mark; the schema-3 migration decides it and rewrites every record.
        let hostApp = r.version >= 2 ? try r.bool() : false
        return User(
            id: id, name: name, displayName: display, role: role, passwordHash: hash, disabled: disabled,
            createdAt: createdAt, hostApp: hostApp)
    }
}

extension Message: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.message)
        w.u64(id)
        w.u64(roomID)
        w.u64(userID)
        w.string(text)
        w.u8(type.rawValue)
        w.i64(createdAt)
        w.bool(isEdited)
        w.optionalI64(editedAt)
        w.bool(deleted)
        w.u64(revision)
        w.u64(UInt64(mentions.count))
        for user in mentions { w.u64(user) }
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Message {
        var r = try RecordReader(raw)
        guard r.version == 1 || r.version == 2 else { throw .decoding }
        let id = try r.u64()
        let room = try r.u64()
        let user = try r.u64()
        let text = try r.string()
        guard let type = MessageType(rawValue: try r.u8()) else { throw .decoding }
        var message = Message(
            id: id, roomID: room, userID: user, text: text, type: type, createdAt: try r.i64(),
            isEdited: try r.bool(), editedAt: try r.optionalI64(), deleted: try r.bool())
        // Version 1 (before schema 6) had no mentions and no change log.
        if r.version >= 2 {
            message.revision = try r.u64()
            let count = try r.u64()
            guard count <= UInt64(raw.count) else { throw .decoding }
            message.mentions = try (0..<count).map { _ throws(LMDBError) in try r.u64() }
        }
        return message
    }
}

extension Participant: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.participant)
        w.u64(roomID)
        w.u64(userID)
        w.i64(joinedAt)
        w.i64(lastActive)
        w.u64(lastRead)
        w.u64(lastReadCount)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Participant {
        var r = try RecordReader(raw)
        guard r.version == 1 || r.version == 2 else { throw .decoding }
        var participant = Participant(
            roomID: try r.u64(), userID: try r.u64(), joinedAt: try r.i64(), lastActive: try r.i64())
        // Version 1 had no read position; the schema-6 migration sets it and rewrites every record.
        if r.version >= 2 {
            participant.lastRead = try r.u64()
            participant.lastReadCount = try r.u64()
        }
        return participant
    }
}

/// The value of a `sessions` entry (the key is the token's SHA-256). Package-visible (as is
/// `StoredReactions`) for the record decoders' fuzz target.
package struct SessionValue: LMDBCodable, Equatable {
    package var userID: UserID
    package var expiresAt: Micros

    package init(userID: UserID, expiresAt: Micros) {
        self.userID = userID
        self.expiresAt = expiresAt
    }

    package func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.u64(userID)
        w.i64(expiresAt)
        bytes.append(contentsOf: w.bytes)
    }
    package static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> SessionValue {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        return SessionValue(userID: try r.u64(), expiresAt: try r.i64())
    }
}

extension Invite: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.u64(id)
        w.byteString(codeHash)
        w.u8(role.rawValue)
        w.optionalI64(usesAllowed.map(Int64.init))
        w.i64(Int64(uses))
        w.optionalI64(expiresAt)
        w.string(createdBy)
        w.i64(createdAt)
        w.bool(revoked)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Invite {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        let id = try r.u64()
        let hash = try r.byteString()
        guard let role = UserRole(rawValue: try r.u8()) else { throw .decoding }
        let allowed = try r.optionalI64().map { Int(clamping: $0) }
        let uses = Int(clamping: try r.i64())
        return Invite(
            id: id, codeHash: hash, role: role, usesAllowed: allowed, uses: uses, expiresAt: try r.optionalI64(),
            createdBy: try r.string(), createdAt: try r.i64(), revoked: try r.bool())
    }
}

extension SignInLink: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.u64(id)
        w.byteString(codeHash)
        w.u64(userID)
        w.i64(createdAt)
        w.i64(expiresAt)
        w.optionalI64(usedAt)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> SignInLink {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        return SignInLink(
            id: try r.u64(), codeHash: try r.byteString(), userID: try r.u64(), createdAt: try r.i64(),
            expiresAt: try r.i64(), usedAt: try r.optionalI64())
    }
}

extension Preferences: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.bool(shareReadReceipts)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Preferences {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        return Preferences(shareReadReceipts: try r.bool())
    }
}

/// The value of a `reactions` entry: a message's reactions in the order of first use, each emoji
/// with its users in the order they reacted.
package struct StoredReactions: LMDBCodable, Equatable {
    package var list: [Reaction]

    package init(list: [Reaction]) { self.list = list }

    package func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.u64(UInt64(list.count))
        for reaction in list {
            w.string(reaction.emoji)
            w.u64(UInt64(reaction.users.count))
            for user in reaction.users { w.u64(user) }
        }
        bytes.append(contentsOf: w.bytes)
    }
    package static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> StoredReactions {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        let count = try r.u64()
        guard count <= UInt64(raw.count) else { throw .decoding }
        var list: [Reaction] = []
        for _ in 0..<count {
            let emoji = try r.string()
            let users = try r.u64()
            guard users <= UInt64(raw.count) else { throw .decoding }
            var ids: [UserID] = []
            for _ in 0..<users { ids.append(try r.u64()) }
            list.append(Reaction(emoji: emoji, users: ids))
        }
        return StoredReactions(list: list)
    }
}

extension RoomRestriction: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.u64(roomID)
        w.u64(userID)
        w.optionalI64(mutedUntil)
        w.bool(banned)
        w.string(reason)
        w.string(actor)
        w.i64(at)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> RoomRestriction {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        return RoomRestriction(
            roomID: try r.u64(), userID: try r.u64(), mutedUntil: try r.optionalI64(), banned: try r.bool(),
            reason: try r.string(), actor: try r.string(), at: try r.i64())
    }
}

extension Report: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) {
        var w = RecordWriter(version: RecordVersion.current)
        w.u64(id)
        w.u64(roomID)
        w.u64(messageID)
        w.u64(authorID)
        w.u64(reporterID)
        w.string(reason)
        w.i64(createdAt)
        w.optionalI64(resolvedAt)
        w.optionalString(resolvedBy)
        bytes.append(contentsOf: w.bytes)
    }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Report {
        var r = try RecordReader(raw)
        guard r.version == 1 else { throw .decoding }
        return Report(
            id: try r.u64(), roomID: try r.u64(), messageID: try r.u64(), authorID: try r.u64(),
            reporterID: try r.u64(), reason: try r.string(), createdAt: try r.i64(), resolvedAt: try r.optionalI64(),
            resolvedBy: try r.optionalString())
    }
}
