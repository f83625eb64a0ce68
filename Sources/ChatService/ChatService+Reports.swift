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
