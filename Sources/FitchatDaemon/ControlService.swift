import Administration
import ChatGateway
import ChatModel
import ChatService
import Logging
import NIOCore
import ServiceLifecycle

/// The control socket (`fitchat` CLI → running daemon) as a service: the CLI's changes reach
/// connected clients at once.
struct ControlService: Service, CustomStringConvertible {
    let path: String
    let chat: ChatServer
    let group: EventLoopGroup
    let logger: Logger
    let started = Readiness()
    var description: String { "control socket" }

    func run() async throws {
        let chat = self.chat
        let logger = self.logger
        let control = try await ControlServer.start(path: path, group: group, logger: logger) { message in
            logger.info("control message", metadata: ["message": "\(SafeText.forLog("\(message)", limit: 200))"])
            ControlService.apply(message, to: chat)
        }
        started.signal()
        try? await gracefulShutdown()
        await control.close()
    }

    /// Makes an admin change take effect on the connected clients: what a control message from
    /// the CLI does, and what the admin page's `AdminOperations` notify with. Reads the store:
    /// call it off the event loops.
    static func apply(_ message: ControlMessage, to chat: ChatServer) {
        switch message {
        case .roomsChanged: chat.roomsChanged()
        case .userChanged(let name), .sessionsRevoked(let name): chat.revalidate(userNamed: name)
        case .memberRemoved(let room, let user): chat.memberRemoved(roomNamed: room, userNamed: user)
        case .notice(let room, let id): chat.noticePosted(roomNamed: room, messageID: id)
        case .moderated(let action, let room, let user):
            guard let action = AuditEntry.Action(rawValue: action) else { return }
            chat.moderationApplied(action, roomNamed: room, userNamed: user)
        case .messageDeleted(let room, let id): chat.messageDeleted(roomNamed: room, messageID: id)
        case .ping: break
        }
    }
}
