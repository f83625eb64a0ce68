import ChatModel
import SocketIOProtocol

/// Admin actions (through the control socket or the account routes) reaching connected clients.
/// The repository already holds the change; these say what the connections see.
extension ChatService {
    /// Rooms were added or archived: every connection gets a fresh `rooms_list` of its own user.
    public func roomsChanged() -> Outcome {
        let everyone = state.withLock { $0.connectionsByUser }
        var outcome = Outcome()
        for userID in everyone.keys.sorted() {
            guard let connections = everyone[userID], let user = connections.first?.user,
                let rooms = try? roomsList(for: user)
            else { continue }
            outcome.effects.append(
                .deliver(Delivery(.connections(connections.map(\.id)), "rooms_list", ["rooms": rooms])))
        }
        return outcome
    }

    /// An admin ended a membership (the repository has the `leave` message): every connection of
    /// the user leaves the room and gets `room_removed`, their typing there stops, the room sees
    /// the `leave` message and `user_left`, and everyone's room list is refreshed (a private room
    /// drops out of theirs).
    public func memberRemoved(roomNamed roomName: String, userNamed userName: String) -> Outcome {
        guard let room = try? repository.room(named: roomName), let user = try? repository.user(named: userName) else {
            return Outcome()
        }
        var outcome = Outcome()
        outcome.effects = removal(
            of: user, from: room,
            notice: ["room": .string(room.name), "message": .string("You were removed from '\(room.name)'.")],
            leave: latestLeave(of: user, in: room), userLeft: true)
        outcome.effects += roomsChanged().effects
        return outcome
    }

    /// A user's membership just ended (an admin's removal, a ban): their connections leave the
    /// room and get `notice` as `room_removed`, their typing there stops, and the room sees the
    /// `leave` message (when there is one) and, with `userLeft`, `user_left`.
    func removal(of user: User, from room: Room, notice: JSONValue, leave: Message?, userLeft: Bool) -> [Effect] {
        var effects: [Effect] = []
        let connections = connections(of: user.id).map(\.id)
        if !connections.isEmpty {
            effects = [
                .leave(connections, room: room.name),
                .deliver(Delivery(.connections(connections), "room_removed", notice)),
            ]
        }
        effects += stopTyping(TypingTracker.Entry(room: room.id, user: user.id))
        if let leave {
            effects.append(
                .deliver(
                    Delivery(
                        .room(room.name, except: nil), "new_message", ChatJSON.message(leave, room: room, user: user))))
        }
        if userLeft {
            effects.append(
                .deliver(
                    Delivery(
                        .room(room.name, except: nil), "user_left",
                        ["room": .string(room.name), "user": ChatJSON.user(user)])))
        }
        return effects
    }

    /// The user's `leave` message when it is the room's latest: what an admin action of another
    /// process (the CLI) just stored. Reads the store.
    func latestLeave(of user: User, in room: Room) -> Message? {
        guard let last = try? repository.latestMessages(room: room.id, limit: 1).last, last.userID == user.id,
            last.type == .leave
        else { return nil }
        return last
    }

    /// An admin posted a notice (a stored `system` message): the room's connections get it as
    /// `new_message`. Reads the store: call it off the event loops.
    public func noticePosted(roomNamed roomName: String, messageID: MessageID) -> Outcome {
        guard let room = try? repository.room(named: roomName), let message = try? repository.message(id: messageID),
            message.roomID == room.id
        else { return Outcome() }
        let author = try? repository.user(id: message.userID)
        var outcome = Outcome()
        outcome.effects = [
            .deliver(
                Delivery(
                    .room(room.name, except: nil), "new_message", ChatJSON.message(message, room: room, user: author)))
        ]
        return outcome
    }

    /// A message was deleted by the admin CLI (the store holds the tombstone): the room hears
    /// `message_deleted`.
    public func messageDeletedByAdmin(roomNamed roomName: String, messageID: MessageID) -> Outcome {
        guard let room = try? repository.room(named: roomName), let message = try? repository.message(id: messageID),
            message.roomID == room.id, message.deleted
        else { return Outcome() }
        var outcome = Outcome()
        outcome.effects = [
            .deliver(
                Delivery(
                    .room(room.name, except: nil), "message_deleted",
                    ["room": .string(room.name), "id": .int(Int64(clamping: messageID))]))
        ]
        return outcome
    }

    /// Closes the connections whose user is disabled, whose session no longer exists, or whose
    /// host-app mark was removed.
    public func revalidate(userNamed name: String) -> Outcome {
        guard let user = try? repository.user(named: name) else { return Outcome() }
        var outcome = Outcome()
        for connection in connections(of: user.id) {
            let valid: Bool
            switch connection.identity.credential {
            case .session(let hash): valid = !user.disabled && (try? repository.session(tokenHash: hash)) != nil
            case .hostApp: valid = !user.disabled && user.hostApp
            }
            if !valid { outcome.effects.append(.disconnect(connection.id)) }
        }
        return outcome
    }

    /// Closes the connections that signed in with this session (it was ended: logout).
    public func sessionEnded(hash: [UInt8], userID: UserID) -> Outcome {
        var outcome = Outcome()
        outcome.effects = connections(of: userID).filter { $0.identity.credential == .session(hash: hash) }.map {
            .disconnect($0.id)
        }
        return outcome
    }
}
