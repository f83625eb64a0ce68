import ChatModel
import ChatService
import SocketIO

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
            return namespace.emit(to: Self.room(room), except: except.flatMap(socket), delivery.event, args)
        case .roomExcludingUser(let room, let user):
            return namespace.emit(to: Self.room(room), where: { $0.client?.user.id != user }, delivery.event, args)
        case .rooms(let rooms):
            return namespace.emit(to: rooms.map(Self.room), delivery.event, args)
        }
    }
}
