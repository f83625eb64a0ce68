import ChatModel
import ChatService
import ChatStore

/// The front desk's moderation from the CLI (issue 16): the same store writes as the socket
/// events, told to a running daemon so its clients see them at once. The CLI stands for the
/// machine's operator and may act on anyone. Each returns the entry for the journal.
extension AdminOperations {
    /// Mutes the user in the room for `minutes` (1 minute to 30 days).
    public func mute(room roomName: String, user userName: String, minutes: Int, actor: String) async throws
        -> (RoomRestriction, AuditEntry)
    {
        guard ModerationRules.mutableMinutes.contains(minutes) else {
            throw AdminError.invalidMuteMinutes(minutes, ModerationRules.mutableMinutes)
        }
        let room = try requireOrdinaryRoom(roomName)
        let user = try requireUser(userName)
        let until = store.currentTime + Micros(minutes) * 60_000_000
        let restriction = try await store.mute(room: room.id, user: user.id, until: until, actor: actor)
        notify(.moderated(action: AuditEntry.Action.mute.rawValue, room: room.name, user: user.name))
        return (
            restriction,
            AuditEntry(
                .mute, actor: actor, target: user.name, room: room.name,
                details: ["until": ISO8601.format(micros: until)])
        )
    }

    /// Lifts a mute; false when none was in force.
    public func unmute(room roomName: String, user userName: String, actor: String) async throws -> (Bool, AuditEntry) {
        let room = try requireOrdinaryRoom(roomName)
        let user = try requireUser(userName)
        let lifted = try await store.unmute(room: room.id, user: user.id)
        notify(.moderated(action: AuditEntry.Action.unmute.rawValue, room: room.name, user: user.name))
        return (lifted, AuditEntry(.unmute, actor: actor, target: user.name, room: room.name))
    }

    /// Bans the user from the room (ending their membership); they cannot join again until unbanned.
    public func ban(room roomName: String, user userName: String, reason: String, actor: String) async throws
        -> (Banning, AuditEntry)
    {
        guard let reason = ModerationRules.reason(reason) else { throw AdminError.invalidReason }
        let room = try requireOrdinaryRoom(roomName)
        let user = try requireUser(userName)
        let banning = try await store.ban(room: room.id, user: user.id, reason: reason, actor: actor)
        notify(.moderated(action: AuditEntry.Action.ban.rawValue, room: room.name, user: user.name))
        return (banning, AuditEntry(.ban, actor: actor, target: user.name, room: room.name))
    }

    /// Lifts a ban; false when there was none. The user may join again (they are not added back).
    public func unban(room roomName: String, user userName: String, actor: String) async throws -> (Bool, AuditEntry) {
        let room = try requireOrdinaryRoom(roomName)
        let user = try requireUser(userName)
        let lifted = try await store.unban(room: room.id, user: user.id)
        notify(.moderated(action: AuditEntry.Action.unban.rawValue, room: room.name, user: user.name))
        return (lifted, AuditEntry(.unban, actor: actor, target: user.name, room: room.name))
    }

    /// Deletes a message of the room (a tombstone, as `delete_message` makes).
    public func deleteMessage(room roomName: String, id: MessageID, actor: String) async throws -> AuditEntry {
        let room = try requireRoom(roomName)
        guard let message = try store.message(id: id), message.roomID == room.id, !message.deleted else {
            throw RepositoryError.messageNotFound(id)
        }
        _ = try await store.deleteMessage(id: id)
        notify(.messageDeleted(room: room.name, messageID: id))
        let author = try store.user(id: message.userID)
        return AuditEntry(
            .deleteMessage, actor: actor, target: author?.name ?? "#\(message.userID)", room: room.name,
            details: ["message_id": String(id)])
    }

    /// Every mute in force and every ban, with the names of their room and user.
    public func restrictions() throws -> [(restriction: RoomRestriction, room: String, user: String)] {
        let now = store.currentTime
        return try store.allRestrictions().filter { !$0.isVoid(at: now) }.map { restriction in
            (
                restriction, try store.room(id: restriction.roomID)?.name ?? "#\(restriction.roomID)",
                try store.user(id: restriction.userID)?.name ?? "#\(restriction.userID)"
            )
        }
    }

    // MARK: Reports

    /// A report as the front desk reads it: names resolved, the message's text (or that it is gone).
    public struct ReportView: Sendable {
        public var report: Report
        public var room: String
        public var author: String
        public var reporter: String
        /// The reported message's text now; nil when it was deleted since.
        public var text: String?
    }

    public func reports(includeResolved: Bool) throws -> [ReportView] {
        try store.reports(includeResolved: includeResolved).map { report in
            let message = try store.message(id: report.messageID)
            return ReportView(
                report: report, room: try store.room(id: report.roomID)?.name ?? "#\(report.roomID)",
                author: try store.user(id: report.authorID)?.name ?? "#\(report.authorID)",
                reporter: try store.user(id: report.reporterID)?.name ?? "#\(report.reporterID)",
                text: message.flatMap { $0.deleted ? nil : $0.text })
        }
    }

    /// Marks a report dealt with.
    public func resolveReport(id: ReportID, actor: String) async throws -> (Report, AuditEntry) {
        let report = try await store.resolveReport(id: id, actor: actor)
        let room = try store.room(id: report.roomID)?.name ?? "#\(report.roomID)"
        let author = try store.user(id: report.authorID)?.name ?? "#\(report.authorID)"
        return (
            report,
            AuditEntry(
                .resolveReport, actor: actor, target: author, room: room,
                details: ["report_id": String(id), "message_id": String(report.messageID)])
        )
    }
}
