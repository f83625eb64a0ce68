import ChatModel
import SocketIOProtocol

/// Mutes and bans (issue 16): a moderator acts on public rooms, an admin on every room but direct
/// conversations; only on users ranked below them. The `…Applied` steps say what connected
/// clients see, for the socket events here and for the admin CLI's changes alike.
extension ChatService {
    func mute(_ roomName: String, _ userName: String, minutes: Int, _ connection: ChatConnection) async throws
        -> Outcome
    {
        let actor = connection.user
        try limit(\.moderation, actor.id)
        let (room, target) = try moderationTarget(roomName, userName, by: actor)
        let until = clock.wallMicros() + Micros(minutes) * 60_000_000
        let restriction = try await repository.mute(room: room.id, user: target.id, until: until, actor: actor.name)
        var outcome = muteApplied(room, target, until: restriction.mutedUntil)
        outcome.reply = .success([
            ("room", .string(room.name)), ("user", ChatJSON.user(target)), ("until", ChatJSON.time(until)),
        ])
        outcome.audit = [
            AuditEntry(
                .mute, actor: actor.name, target: target.name, room: room.name,
                details: ["until": ISO8601.format(micros: until)])
        ]
        return outcome
    }

    func unmute(_ roomName: String, _ userName: String, _ connection: ChatConnection) async throws -> Outcome {
        let actor = connection.user
        try limit(\.moderation, actor.id)
        let (room, target) = try moderationTarget(roomName, userName, by: actor)
        _ = try await repository.unmute(room: room.id, user: target.id)
        var outcome = muteApplied(room, target, until: nil)
        outcome.reply = .success([("room", .string(room.name)), ("user", ChatJSON.user(target))])
        outcome.audit = [AuditEntry(.unmute, actor: actor.name, target: target.name, room: room.name)]
        return outcome
    }

    func ban(_ roomName: String, _ userName: String, reason: String, _ connection: ChatConnection) async throws
        -> Outcome
    {
        let actor = connection.user
        try limit(\.moderation, actor.id)
        let (room, target) = try moderationTarget(roomName, userName, by: actor)
        let banning = try await repository.ban(room: room.id, user: target.id, reason: reason, actor: actor.name)
        var outcome = banApplied(room, target, reason: reason, leave: banning.leaveMessage)
        outcome.reply = .success([("room", .string(room.name)), ("user", ChatJSON.user(target))])
        outcome.audit = [AuditEntry(.ban, actor: actor.name, target: target.name, room: room.name)]
        return outcome
    }

    func unban(_ roomName: String, _ userName: String, _ connection: ChatConnection) async throws -> Outcome {
        let actor = connection.user
        try limit(\.moderation, actor.id)
        let (room, target) = try moderationTarget(roomName, userName, by: actor)
        _ = try await repository.unban(room: room.id, user: target.id)
        var outcome = unbanApplied(room, target)
        outcome.reply = .success([("room", .string(room.name)), ("user", ChatJSON.user(target))])
        outcome.audit = [AuditEntry(.unban, actor: actor.name, target: target.name, room: room.name)]
        return outcome
    }

    // MARK: What connected clients see (socket events and the admin CLI alike)

    /// The muted user's connections hear `muted` with the end (null: the mute was lifted); a mute
    /// also ends their typing there.
    public func muteApplied(_ room: Room, _ target: User, until: Micros?) -> Outcome {
        var outcome = Outcome()
        let connections = connections(of: target.id).map(\.id)
        if !connections.isEmpty {
            outcome.effects.append(
                .deliver(
                    Delivery(
                        .connections(connections), "muted",
                        ["room": .string(room.name), "until": until.map(ChatJSON.time) ?? .null])))
        }
        if until != nil { outcome.effects += stopTyping(TypingTracker.Entry(room: room.id, user: target.id)) }
        return outcome
    }

    /// The room hears `user_banned` (the banned user's connections too, while still in it); their
    /// connections then leave the room and get `room_removed`; the room sees the `leave` message
    /// and `user_left` when the ban ended a membership; room lists are refreshed.
    public func banApplied(_ room: Room, _ target: User, reason: String, leave: Message?) -> Outcome {
        var outcome = Outcome()
        let connections = connections(of: target.id).map(\.id)
        outcome.effects.append(
            .deliver(
                Delivery(
                    .room(room.name, except: nil), "user_banned",
                    [
                        "room": .string(room.name), "user": ChatJSON.user(target),
                        "reason": reason.isEmpty ? .null : .string(reason),
                    ])))
        outcome.effects += removal(
            of: target, from: room,
            notice: [
                "room": .string(room.name), "banned": true, "message": .string("You were banned from '\(room.name)'."),
            ],
            leave: leave, userLeft: leave != nil)
        outcome.effects += room.isPrivate ? roomsChanged().effects : roomsListRefresh(of: target, connections)
        return outcome
    }

    /// The unbanned user's connections hear `user_unbanned` (they may join again) and get a fresh room list.
    public func unbanApplied(_ room: Room, _ target: User) -> Outcome {
        var outcome = Outcome()
        let connections = connections(of: target.id).map(\.id)
        guard !connections.isEmpty else { return outcome }
        outcome.effects.append(
            .deliver(Delivery(.connections(connections), "user_unbanned", ["room": .string(room.name)])))
        outcome.effects += roomsListRefresh(of: target, connections)
        return outcome
    }

    /// Reads the store: what the CLI's control message brings to the daemon.
    public func moderationApplied(_ action: AuditEntry.Action, roomNamed roomName: String, userNamed userName: String)
        -> Outcome
    {
        guard let room = try? repository.room(named: roomName), let target = try? repository.user(named: userName)
        else { return Outcome() }
        let restriction = try? repository.restriction(room: room.id, user: target.id)
        switch action {
        case .mute, .unmute:
            let until = restriction.flatMap { $0.isMuted(at: clock.wallMicros()) ? $0.mutedUntil : nil }
            return muteApplied(room, target, until: until)
        case .ban:
            return banApplied(room, target, reason: restriction?.reason ?? "", leave: latestLeave(of: target, in: room))
        case .unban: return unbanApplied(room, target)
        case .deleteMessage, .report, .resolveReport: return Outcome()
        }
    }

    // MARK: Rules

    /// The room and user a moderation event names: the caller must moderate the room (else
    /// `forbidden`; a private room they cannot see is `room_not_found`), and outrank the user.
    func moderationTarget(_ roomName: String, _ userName: String, by actor: User) throws -> (Room, User) {
        guard Names.isValidRoomName(roomName), let room = try repository.room(named: roomName), room.isActive else {
            throw ChatError.roomNotFound(roomName)
        }
        guard actor.role.moderates(room) else {
            guard try isVisible(room, to: actor) else { throw ChatError.roomNotFound(roomName) }
            throw ChatError(.forbidden, "only a moderator of '\(room.name)' may do that")
        }
        guard room.direct == nil else {
            throw ChatError(.invalidRequest, "a direct conversation has no moderation")
        }
        guard let target = try repository.user(named: userName) else {
            throw ChatError(.invalidRequest, "no user named '\(SafeText.forLog(userName, limit: 64))'")
        }
        guard target.id != actor.id else { throw ChatError(.forbidden, "you cannot do that to yourself") }
        guard actor.role.outranks(target.role) else {
            throw ChatError(.forbidden, "\(target.name) is a \(target.role.name): only a higher role may do that")
        }
        return (room, target)
    }

    /// A muted user may not send, edit, react or type in the room; a banned one may do nothing there.
    func requireMayWrite(in room: Room, _ user: User) throws {
        guard let restriction = try repository.restriction(room: room.id, user: user.id) else { return }
        if restriction.banned { throw ChatError.banned(room.name) }
        let now = clock.wallMicros()
        if restriction.isMuted(at: now), let until = restriction.mutedUntil {
            throw ChatError.muted(room.name, until: until)
        }
    }

    func requireNotBanned(from room: Room, _ user: User) throws {
        if try repository.restriction(room: room.id, user: user.id)?.banned == true {
            throw ChatError.banned(room.name)
        }
    }

    private func roomsListRefresh(of user: User, _ connections: [ConnectionID]) -> [Effect] {
        guard !connections.isEmpty, let rooms = try? roomsList(for: user) else { return [] }
        return [.deliver(Delivery(.connections(connections), "rooms_list", ["rooms": rooms]))]
    }
}
