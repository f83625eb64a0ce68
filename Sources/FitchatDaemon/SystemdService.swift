import ChatGateway
import ChatStore
import Logging
import NIOCore
import ServiceLifecycle
import Systemd

/// The service manager's view, last in the group so it is told first when stopping: READY=1 once
/// the store is open and the server and the control socket accept, STATUS every 10 s, watchdog
/// keep-alives only while the health probe passes, STOPPING=1 at the start of the shutdown.
struct SystemdService: Service, CustomStringConvertible {
    let notifier: Notifier
    /// Each must be signalled before READY=1.
    let prerequisites: [Readiness]
    let chat: ChatServer
    let store: ChatStore
    let group: EventLoopGroup
    let logger: Logger
    var description: String { "systemd notifier" }

    func run() async throws {
        for prerequisite in prerequisites {
            guard await prerequisite.wait() else { return }
        }
        notifier.ready(status: Self.status(chat))
        await withTaskGroup(of: Void.self) { tasks in
            if let interval = notifier.watchdogInterval() {
                logger.info("watchdog on", metadata: ["interval_ms": "\(interval / .milliseconds(1))"])
                tasks.addTask { [self] in
                    await Watchdog(interval: interval, group: group, store: store, notifier: notifier, logger: logger)
                        .run()
                }
            }
            tasks.addTask { [self] in
                while (try? await Task.sleep(for: .seconds(10))) != nil {
                    notifier.status(Self.status(chat))
                }
            }
            try? await gracefulShutdown()
            notifier.stopping()
            tasks.cancelAll()
        }
    }

    static func status(_ chat: ChatServer) -> String {
        let connections = chat.connectionCount
        let rooms = chat.activeRooms
        return "\(connections) connection\(connections == 1 ? "" : "s"), \(rooms) room\(rooms == 1 ? "" : "s") active"
    }
}
