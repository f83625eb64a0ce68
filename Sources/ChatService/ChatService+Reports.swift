import ChatModel
import SocketIOProtocol

/// Reports of messages to the moderators (issue 16): any participant may report someone else's
/// message; the moderators of the room who are online hear of it at once; the front desk works
/// through them with `fitchat reports`.
extension ChatService {
    func reportMessage(_ id: Int64, in name: String, reason: String, _ connection: ChatConnection) async throws
        -> Outcome
    {
        let user = connection.user
        try limit(\.reports, user.id)
        let (room, message) = try liveMessage(id, in: name, for: user)
        guard message.userID != user.id else { throw ChatError(.invalidRequest, "you cannot report your own message") }
        guard message.type == .text else { throw ChatError(.invalidRequest, "only what people write can be reported") }
        let filing: Filing
        do {
            filing = try await repository.fileReport(
                room: room.id, message: message.id, reporter: user.id, reason: reason)
        } catch RepositoryError.messageNotFound(_) {
            throw ChatError.messageNotFound(id)
        }
        let report = filing.report
        var outcome = Outcome()
        outcome.reply = .success([
            ("report", Self.reportJSON(report, room: room)), ("duplicate", .bool(filing.duplicate)),
        ])
        guard !filing.duplicate else { return outcome }
        var users = [user.id: user]
        var fields = Self.reportFields(report, room: room)
        fields.append(("reporter", ChatJSON.user(user)))
        fields.append(("message", try messageJSON(message, room: room, cache: &users)))
        let notice = JSONValue.object(fields)
        let moderators = try onlineModerators(of: room).filter { $0 != user.id }.flatMap {
            connections(of: $0).map(\.id)
        }
        if !moderators.isEmpty {
            outcome.afterReply = [.deliver(Delivery(.connections(moderators), "message_reported", ["report": notice]))]
        }
        let author = try cachedUser(message.userID, &users)
        outcome.audit = [
            AuditEntry(
                .report, actor: user.name, target: author?.name ?? "#\(message.userID)", room: room.name,
                details: ["report_id": String(report.id), "message_id": String(message.id)])
        ]
        return outcome
    }

    /// The reports of the rooms the caller moderates (moderators and admins only), newest first,
    /// at most `maxListedReports`: each with its reporter, author and the message as it is now.
    func reports(includeResolved: Bool, _ connection: ChatConnection) throws -> Outcome {
        let user = connection.user
        guard user.role != .member else { throw ChatError(.forbidden, "only moderators see reports") }
        try limit(\.reads, user.id)
        var rooms: [RoomID: Room?] = [:]
        var users: [UserID: User] = [user.id: user]
        var listed: [JSONValue] = []
        for report in try repository.reports(includeResolved: includeResolved).reversed() {
            if rooms[report.roomID] == nil { rooms[report.roomID] = try repository.room(id: report.roomID) }
            guard let room = rooms[report.roomID] ?? nil, room.direct == nil, user.role.moderates(room) else {
                continue
            }
            listed.append(try reportEntry(report, room: room, cache: &users))
            if listed.count == Self.maxListedReports { break }
        }
        var outcome = Outcome()
        outcome.reply = .success([("reports", .array(listed))])
        return outcome
    }

    /// Marks a report of a room the caller moderates dealt with; the room's other moderators
    /// online hear `report_resolved` (their lists drop it).
    func resolveReport(_ id: Int64, _ connection: ChatConnection) async throws -> Outcome {
        let user = connection.user
        try limit(\.moderation, user.id)
        guard let report = try repository.report(id: ReportID(id)), let room = try repository.room(id: report.roomID),
            room.direct == nil, user.role.moderates(room)
        else {
            // Someone else's report, or none: the same answer, so ids reveal nothing.
            throw ChatError(.invalidRequest, "no report \(id) of a room you moderate")
        }
        let resolved = try await repository.resolveReport(id: report.id, actor: user.name)
        var users: [UserID: User] = [user.id: user]
        var outcome = Outcome()
        outcome.reply = .success([("report", try reportEntry(resolved, room: room, cache: &users))])
        let others = try onlineModerators(of: room).filter { $0 != user.id }.flatMap { connections(of: $0).map(\.id) }
        let mine = connections(of: user.id).map(\.id).filter { $0 != connection.id }
        if !(others + mine).isEmpty {
            outcome.afterReply = [
                .deliver(
                    Delivery(
                        .connections(others + mine), "report_resolved",
                        ["id": .int(Int64(clamping: report.id)), "room": .string(room.name)]))
            ]
        }
        if report.isOpen {
            let author = try cachedUser(report.authorID, &users)
            outcome.audit = [
                AuditEntry(
                    .resolveReport, actor: user.name, target: author?.name ?? "#\(report.authorID)", room: room.name,
                    details: ["report_id": String(report.id), "message_id": String(report.messageID)])
            ]
        }
        return outcome
    }

    /// Reports one `get_reports` lists.
    static let maxListedReports = 200

    /// A report for a moderator's list: its fields, who resolved it, the reporter, the author and
    /// the message as it is now (a tombstone once deleted; null if it is gone).
    private func reportEntry(_ report: Report, room: Room, cache: inout [UserID: User]) throws -> JSONValue {
        var fields = Self.reportFields(report, room: room)
        fields.append(("resolved_by", report.resolvedBy.map(JSONValue.string) ?? .null))
        fields.append(("reporter", try cachedUser(report.reporterID, &cache).map(ChatJSON.user) ?? .null))
        fields.append(("author", try cachedUser(report.authorID, &cache).map(ChatJSON.user) ?? .null))
        let message = try repository.message(id: report.messageID)
        fields.append(("message", try message.map { try messageJSON($0, room: room, cache: &cache) } ?? .null))
        return .object(fields)
    }

    /// `{"id","room","message_id","reason","created_at","resolved_at"}`.
    static func reportJSON(_ report: Report, room: Room) -> JSONValue { .object(reportFields(report, room: room)) }

    static func reportFields(_ report: Report, room: Room) -> [(String, JSONValue)] {
        [
            ("id", .int(Int64(clamping: report.id))), ("room", .string(room.name)),
            ("message_id", .int(Int64(clamping: report.messageID))), ("reason", .string(report.reason)),
            ("created_at", ChatJSON.time(report.createdAt)),
            ("resolved_at", report.resolvedAt.map(ChatJSON.time) ?? .null),
        ]
    }

    /// Online users who moderate the room, by their role as stored now (a role taken away counts at once).
    private func onlineModerators(of room: Room) throws -> [UserID] {
        let candidates = state.withLock { state in
            state.connectionsByUser.compactMap { id, connections in
                connections.contains { $0.user.role != .member } ? id : nil
            }
        }
        return try candidates.sorted().filter { try repository.user(id: $0).map { $0.role.moderates(room) } ?? false }
    }
}
