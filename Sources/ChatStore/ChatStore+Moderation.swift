import ChatModel
import LMDB

/// Mutes, bans and reports (schema 7). Each change is one write transaction that re-reads what
/// it changes, so a ban and a join racing each other serialise on the writer.
extension ChatStore {
    public func restriction(room: RoomID, user: UserID) throws -> RoomRestriction? {
        try read { txn in try txn.get(tables.restrictions, RoomUserKey(user, room)) }
    }

    public func restrictions(ofUser user: UserID) throws -> [RoomID: RoomRestriction] {
        try read { txn in
            var found: [RoomID: RoomRestriction] = [:]
            for (key, restriction) in try txn.entries(tables.restrictions, prefix: user.encoded) {
                found[key.b] = restriction
            }
            return found
        }
    }

    public func allRestrictions() throws -> [RoomRestriction] {
        try read { txn in
            var all: [RoomRestriction] = []
            try txn.cursor(tables.restrictions).scan { _, restriction in
                all.append(restriction)
                return true
            }
            return all
        }
    }

    public func mute(room: RoomID, user: UserID, until: Micros, actor: String) async throws -> RoomRestriction {
        let now = self.now()
        return try await write { txn, tables in
            try Self.restrict(txn, tables, room: room, user: user, actor: actor, now: now) { $0.mutedUntil = until }
        }
    }

    public func unmute(room: RoomID, user: UserID) async throws -> Bool {
        let now = self.now()
        return try await write { txn, tables in
            let key = RoomUserKey(user, room)
            guard var restriction = try txn.get(tables.restrictions, key) else { return false }
            let wasMuted = restriction.isMuted(at: now)
            restriction.mutedUntil = nil
            try Self.store(restriction, txn, tables, now: now)
            return wasMuted
        }
    }

    public func ban(room: RoomID, user: UserID, reason: String, actor: String) async throws -> Banning {
        let now = self.now()
        return try await write { txn, tables in
            let restriction = try Self.restrict(txn, tables, room: room, user: user, actor: actor, now: now) {
                $0.banned = true
                $0.reason = reason
            }
            var leave: Message?
            if try txn.delete(tables.participants, RoomUserKey(room, user)) {
                try txn.delete(tables.userRooms, RoomUserKey(user, room))
                leave = try Self.insertMessage(
                    txn, tables, NewMessage(roomID: room, userID: user, text: "left the room", type: .leave), now: now)
            }
            return Banning(restriction: restriction, leaveMessage: leave)
        }
    }

    public func unban(room: RoomID, user: UserID) async throws -> Bool {
        let now = self.now()
        return try await write { txn, tables in
            let key = RoomUserKey(user, room)
            guard var restriction = try txn.get(tables.restrictions, key), restriction.banned else { return false }
            restriction.banned = false
            restriction.reason = ""
            try Self.store(restriction, txn, tables, now: now)
            return true
        }
    }

    /// Imposes `change` on the user's restriction in the room (a new one if none), signed by `actor` now.
    private static func restrict(
        _ txn: Transaction, _ tables: Tables, room: RoomID, user: UserID, actor: String, now: Micros,
        _ change: (inout RoomRestriction) -> Void
    ) throws -> RoomRestriction {
        try requireRoomAndUser(txn, tables, room: room, user: user)
        let key = RoomUserKey(user, room)
        var restriction =
            try txn.get(tables.restrictions, key) ?? RoomRestriction(roomID: room, userID: user, actor: actor, at: now)
        change(&restriction)
        restriction.actor = actor
        restriction.at = now
        try txn.put(tables.restrictions, key, restriction)
        return restriction
    }

    /// Keeps a restriction that still restricts; forgets one that no longer does.
    private static func store(_ restriction: RoomRestriction, _ txn: Transaction, _ tables: Tables, now: Micros) throws
    {
        let key = RoomUserKey(restriction.userID, restriction.roomID)
        if restriction.isVoid(at: now) {
            _ = try txn.delete(tables.restrictions, key)
        } else {
            try txn.put(tables.restrictions, key, restriction)
        }
    }

    /// Refuses a banned user, inside the transaction that would make them a participant.
    static func requireNotBanned(_ txn: Transaction, _ tables: Tables, room: RoomID, user: UserID) throws {
        if try txn.get(tables.restrictions, RoomUserKey(user, room))?.banned == true { throw RepositoryError.banned }
    }

    /// Refuses a sender who is no participant of the room, or is banned or muted there, inside the
    /// transaction that would store their message: a ban or mute committed after the service's own
    /// checks (the message was on its way) still stops it.
    static func requireStanding(_ txn: Transaction, _ tables: Tables, room: RoomID, user: UserID, now: Micros) throws {
        if let restriction = try txn.get(tables.restrictions, RoomUserKey(user, room)) {
            if restriction.banned { throw RepositoryError.banned }
            if restriction.isMuted(at: now), let until = restriction.mutedUntil {
                throw RepositoryError.muted(until: until)
            }
        }
        guard try txn.contains(tables.participants, RoomUserKey(room, user)) else {
            throw RepositoryError.notParticipant
        }
    }

    // MARK: Reports

    public func fileReport(room: RoomID, message: MessageID, reporter: UserID, reason: String) async throws -> Filing {
        let now = self.now()
        return try await write { txn, tables in
            guard let reported = try txn.get(tables.messages, message), reported.roomID == room, !reported.deleted
            else {
                throw RepositoryError.messageNotFound(message)
            }
            guard try txn.contains(tables.users, reporter) else { throw RepositoryError.userNotFound("#\(reporter)") }
            let byMessage = RoomUserKey(message, reporter)
            if let id = try txn.get(tables.reportsByMessage, byMessage), let earlier = try txn.get(tables.reports, id) {
                return Filing(report: earlier, duplicate: true)
            }
            let report = Report(
                id: try tables.nextID(txn, MetaKey.nextReportID), roomID: room, messageID: message,
                authorID: reported.userID, reporterID: reporter, reason: reason, createdAt: now)
            try txn.put(tables.reports, report.id, report)
            try txn.put(tables.reportsByMessage, byMessage, report.id)
            return Filing(report: report, duplicate: false)
        }
    }

    public func report(id: ReportID) throws -> Report? {
        try read { txn in try txn.get(tables.reports, id) }
    }

    public func reports(includeResolved: Bool) throws -> [Report] {
        try read { txn in
            var found: [Report] = []
            try txn.cursor(tables.reports).scan { _, report in
                if includeResolved || report.isOpen { found.append(report) }
                return true
            }
            return found
        }
    }

    public func resolveReport(id: ReportID, actor: String) async throws -> Report {
        let now = self.now()
        return try await write { txn, tables in
            guard var report = try txn.get(tables.reports, id) else { throw RepositoryError.reportNotFound(id) }
            guard report.isOpen else { return report }
            report.resolvedAt = now
            report.resolvedBy = actor
            try txn.put(tables.reports, id, report)
            return report
        }
    }
}

extension ChatStore {
    /// Schema 7's tables: restrictions and reports name existing rooms, users and messages; a
    /// banned user is no participant; each report is indexed once under its message and reporter.
    func checkModeration(_ txn: Transaction, _ report: (String) -> Bool) throws {
        try txn.cursor(tables.restrictions).scan { key, restriction in
            guard restriction.userID == key.a, restriction.roomID == key.b else {
                return report("restrictions entry (user \(key.a), room \(key.b)) holds another pair")
            }
            guard try txn.contains(tables.rooms, key.b), try txn.contains(tables.users, key.a) else {
                return report("restriction of user \(key.a) in room \(key.b) names a missing room or user")
            }
            if restriction.banned, try txn.contains(tables.participants, RoomUserKey(key.b, key.a)) {
                return report("user \(key.a) is banned from room \(key.b) yet a participant")
            }
            return true
        }
        try txn.cursor(tables.reports).scan { id, filed in
            guard filed.id == id else { return report("reports[\(id)] holds a record with id \(filed.id)") }
            guard let message = try txn.get(tables.messages, filed.messageID), message.roomID == filed.roomID else {
                return report("report \(id) points at a missing or different message \(filed.messageID)")
            }
            if try txn.get(tables.reportsByMessage, RoomUserKey(filed.messageID, filed.reporterID)) != id {
                return report("report \(id) is missing from reports_by_message")
            }
            return true
        }
        try txn.cursor(tables.reportsByMessage).scan { key, id in
            guard let filed = try txn.get(tables.reports, id), filed.messageID == key.a, filed.reporterID == key.b
            else {
                return report(
                    "reports_by_message (message \(key.a), reporter \(key.b)) points at a missing report \(id)")
            }
            return true
        }
    }
}
