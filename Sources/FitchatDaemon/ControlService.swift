import ChatModel
import FitchatCore
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
        let chat = self.chat, logger = self.logger
        let control = try await ControlServer.start(path: path, group: group, logger: logger) { message in
            logger.info("control message", metadata: ["message": "\(SafeText.forLog("\(message)", limit: 200))"])
            switch message {
            case .roomsChanged: chat.roomsChanged()
            case .userChanged(let name), .sessionsRevoked(let name): chat.revalidate(userNamed: name)
            case .memberRemoved(let room, let user): chat.memberRemoved(roomNamed: room, userNamed: user)
            case .ping: break
            }
        }
        started.signal()
        try? await gracefulShutdown()
        await control.close()
    }
}
