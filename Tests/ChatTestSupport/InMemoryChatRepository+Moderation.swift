import ChatModel

/// A restriction's key in the in-memory tables.
struct RoomUserPair: Hashable {
    var room: RoomID
    var user: UserID
}

/// Mutes, bans and reports, with the store's semantics (`ChatStore+Moderation`).
extension InMemoryChatRepository {
    public func restriction(room: RoomID, user: UserID) throws -> RoomRestriction? {
        try read { $0.restrictions[RoomUserPair(room: room, user: user)] }
    }

    public func restrictions(ofUser user: UserID) throws -> [RoomID: RoomRestriction] {
        try read { tables in
            Dictionary(
                uniqueKeysWithValues: tables.restrictions.values.filter { $0.userID == user }.map { ($0.roomID, $0) })
        }
    }

    public func allRestrictions() throws -> [RoomRestriction] {
        try read { tables in
            tables.restrictions.values.sorted { ($0.userID, $0.roomID) < ($1.userID, $1.roomID) }
        }
    }

    public func mute(room: RoomID, user: UserID, until: Micros, actor: String) async throws -> RoomRestriction {
        try await write { tables, now in
            try Self.restrict(&tables, room: room, user: user, actor: actor, now: now) { $0.mutedUntil = until }
        }
    }

    public func unmute(room: RoomID, user: UserID) async throws -> Bool {
        try await write { tables, now in
            let key = RoomUserPair(room: room, user: user)
            guard var restriction = tables.restrictions[key] else { return false }
            let wasMuted = restriction.isMuted(at: now)
            restriction.mutedUntil = nil
            tables.restrictions[key] = restriction.isVoid(at: now) ? nil : restriction
            return wasMuted
        }
    }

    public func ban(room: RoomID, user: UserID, reason: String, actor: String) async throws -> Banning {
        try await write { tables, now in
            let restriction = try Self.restrict(&tables, room: room, user: user, actor: actor, now: now) {
                $0.banned = true
                $0.reason = reason
            }
            var leave: Message?
            if tables.participants[room]?.removeValue(forKey: user) != nil {
                leave = Self.insertMessage(
                    &tables, NewMessage(roomID: room, userID: user, text: "left the room", type: .leave), now: now)
            }
            return Banning(restriction: restriction, leaveMessage: leave)
        }
    }

    public func unban(room: RoomID, user: UserID) async throws -> Bool {
        try await write { tables, now in
            let key = RoomUserPair(room: room, user: user)
            guard var restriction = tables.restrictions[key], restriction.banned else { return false }
            restriction.banned = false
            restriction.reason = ""
            tables.restrictions[key] = restriction.isVoid(at: now) ? nil : restriction
            return true
        }
    }

    public func fileReport(room: RoomID, message: MessageID, reporter: UserID, reason: String) async throws -> Filing {
        try await write { tables, now in
            guard let reported = tables.messages[message], reported.roomID == room, !reported.deleted else {
                throw RepositoryError.messageNotFound(message)
            }
            guard tables.users[reporter] != nil else { throw RepositoryError.userNotFound("#\(reporter)") }
            if let earlier = tables.reports.values.first(where: { $0.messageID == message && $0.reporterID == reporter }
            ) {
                return Filing(report: earlier, duplicate: true)
            }
            let report = Report(
                id: tables.nextReport, roomID: room, messageID: message, authorID: reported.userID,
                reporterID: reporter, reason: reason, createdAt: now)
            tables.nextReport += 1
            tables.reports[report.id] = report
            return Filing(report: report, duplicate: false)
        }
    }

    public func report(id: ReportID) throws -> Report? { try read { $0.reports[id] } }

    public func reports(includeResolved: Bool) throws -> [Report] {
        try read { tables in
            tables.reports.values.filter { includeResolved || $0.isOpen }.sorted { $0.id < $1.id }
        }
    }

    public func resolveReport(id: ReportID, actor: String) async throws -> Report {
        try await write { tables, now in
            guard var report = tables.reports[id] else { throw RepositoryError.reportNotFound(id) }
            guard report.isOpen else { return report }
            report.resolvedAt = now
            report.resolvedBy = actor
            tables.reports[id] = report
            return report
        }
    }

    /// `ChatStore.restrict`: imposes `change` on the user's restriction in the room, signed by `actor` now.
    static func restrict(
        _ tables: inout Tables, room: RoomID, user: UserID, actor: String, now: Micros,
        _ change: (inout RoomRestriction) -> Void
    ) throws -> RoomRestriction {
        try requireRoomAndUser(tables, room: room, user: user)
        let key = RoomUserPair(room: room, user: user)
        var restriction = tables.restrictions[key] ?? RoomRestriction(roomID: room, userID: user, actor: actor, at: now)
        change(&restriction)
        restriction.actor = actor
        restriction.at = now
        tables.restrictions[key] = restriction
        return restriction
    }
}
