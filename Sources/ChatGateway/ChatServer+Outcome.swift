import ChatModel
import ChatService
import SocketIO
import SocketIOProtocol

/// Carrying out what the service decided, in its order: the effects, then the ack (or the
/// `error` event when the client asked for none), then what must follow the ack.
extension ChatServer {
    /// Returns the outcome's `next`, for the caller to resume once this is done.
    @discardableResult
    func carryOut(
        _ outcome: Outcome, socket: Socket? = nil, ack: Acknowledgement? = nil, event: String? = nil,
        reason: String? = nil
    ) -> FollowUp? {
        if outcome.stored { observer.stored() }
        perform(outcome.effects, reason: reason)
        switch outcome.reply {
        case .success(let fields)?:
            ack?.reply([ChatJSON.success(fields)])
        case .failure(let error)?:
            if let fault = outcome.fault {
                logger.error(
                    "event failed",
                    metadata: [
                        "event": "\(event ?? "")", "error": "\(SafeText.forLog(fault, limit: 300))",
                        "user": "\(socket?.client?.user.name ?? "")",
                    ])
            } else {
                observer.refused(error.code.rawValue)
            }
            if let ack { ack(ChatJSON.failure(error)) } else { socket?.emit("error", ChatJSON.error(error)) }
        case nil:
            break
        }
        perform(outcome.afterReply, reason: reason)
        for entry in outcome.audit { logger.moderation(entry) }
        return outcome.next
    }

    private func perform(_ effects: [Effect], reason: String?) {
        for effect in effects {
            switch effect {
            case .deliver(let delivery):
                let count = deliver(delivery)
                if delivery.isMessageDelivery { observer.delivered(count) }
            case .join(let id, let room):
                socket(id)?.join(Self.room(room))
            case .leave(let ids, let room):
                for id in ids { socket(id)?.leave(Self.room(room)) }
            case .hold(let id, let room):
                guard let client = socket(id)?.client else { continue }
                // Counted before the socket enters the room (the next effect), so a broadcast
                // that finds it in the room also finds the count raised.
                holding.add(1, ordering: .sequentiallyConsistent)
                if !client.hold(Self.room(room)) { holding.subtract(1, ordering: .sequentiallyConsistent) }
            case .release(let id, let room, let through):
                // A socket gone meanwhile dropped its holds (and their count) when it closed.
                guard let socket = socket(id), let client = socket.client else { continue }
                // The event carrying this out is in flight itself, so the last one in flight is
                // never nil here; other events up to it may have stored what the answer carried.
                let until = flights.withLock { $0.open.max() }
                let released = client.release(Self.room(room), through: through, trailing: until, on: socket)
                switch released {
                case .released, .overflowed: holding.subtract(1, ordering: .sequentiallyConsistent)
                case .trailing:
                    // Still counted: broadcasts keep offering it to the client until it ends (`land`).
                    flights.withLock { $0.trailing.append((id, room, until!)) }
                case .notHeld: break
                }
                if released == .overflowed {
                    logger.warning(
                        "closing a connection whose room produced too much while it joined",
                        metadata: ["user": "\(SafeText.forLog(client.user.name))", "room": "\(room)"])
                    socket.disconnect()
                    socket.session.close()
                }
            case .disconnect(let id):
                guard let socket = socket(id) else { continue }
                if let reason {
                    logger.notice("\(reason)", metadata: ["user": "\(SafeText.forLog(socket.client?.user.name ?? ""))"])
                }
                socket.disconnect()
                socket.session.close()
            }
        }
    }

    /// While some client holds a room (it is joining), each recipient is offered the delivery
    /// first: a holding one keeps it for later. Asked after the room's members were read, so a
    /// client that entered the room after its hold began is never missed; nil (no filter, no cost
    /// per recipient) while nobody holds anything.
    private func heldScreen(_ room: String, _ delivery: Delivery) -> ((Socket) -> Bool)? {
        guard holding.load(ordering: .sequentiallyConsistent) > 0 else { return nil }
        return { socket in
            guard let client = socket.client else { return true }
            return !client.offer(room, delivery.event, delivery.payload)
        }
    }

    /// A room's `new_message`s go out in id order: recovery resumes after the last id a client saw,
    /// so one overtaken by a later one would be skipped by a client that dropped in between. Each
    /// sender broadcasts after its commit, and commits are in id order: under the room's lock, the
    /// messages between the last one sent and this one (committed, their senders' broadcasts not
    /// out yet) go first, then this one; a message already sent that way is not sent again.
    private func broadcastInOrder(_ delivery: Delivery, room: String, id: MessageID, except: ConnectionID?) -> Int {
        let cursor = broadcastCursors.withLock { cursors in
            if let cursor = cursors[room] { return cursor }
            let cursor = RoomCursor(startedAfter)
            cursors[room] = cursor
            return cursor
        }
        let name = Self.room(room)
        return cursor.sent.withLock { sent in
            guard id > sent else { return 0 }
            var count = 0
            let overtaken: [JSONValue]
            do {
                overtaken = try service.messageEvents(inRoom: room, after: sent, before: id)
            } catch {
                logger.error(
                    "could not read the messages a broadcast overtook",
                    metadata: ["room": "\(room)", "error": "\(SafeText.forLog("\(error)", limit: 300))"])
                overtaken = []
            }
            for payload in overtaken {
                let earlier = Delivery(.room(room, except: nil), "new_message", payload, isMessageDelivery: true)
                count += namespace.emit(
                    to: name, except: nil, screenedBy: { heldScreen(name, earlier) }, "new_message", [payload])
            }
            count += namespace.emit(
                to: name, except: except.flatMap(socket), screenedBy: { heldScreen(name, delivery) }, delivery.event,
                [delivery.payload])
            sent = id
            return count
        }
    }

    /// Sends one delivery; returns how many sockets it reached.
    private func deliver(_ delivery: Delivery) -> Int {
        let args = [delivery.payload]
        switch delivery.audience {
        case .connection(let id):
            guard let socket = socket(id) else { return 0 }
            socket.emit(delivery.event, args)
            return 1
        case .connections(let ids):
            let targets = ids.compactMap(socket)
            for socket in targets { socket.emit(delivery.event, args) }
            return targets.count
        case .room(let room, let except):
            if delivery.event == "new_message", case .int(let id)? = delivery.payload["id"], id > 0 {
                return broadcastInOrder(delivery, room: room, id: MessageID(id), except: except)
            }
            let name = Self.room(room)
            return namespace.emit(
                to: name, except: except.flatMap(socket), screenedBy: { heldScreen(name, delivery) }, delivery.event,
                args)
        case .roomExcludingUser(let room, let user):
            // The hold screen is asked after the members are read, as for `.room`.
            let name = Self.room(room)
            return namespace.emit(
                to: name, except: nil,
                screenedBy: {
                    let held = heldScreen(name, delivery)
                    return { $0.client?.user.id != user && held?($0) != false }
                }, delivery.event, args)
        case .rooms(let rooms):
            return namespace.emit(to: rooms.map(Self.room), delivery.event, args)
        }
    }
}
