import ChatStore
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `fitchat serve`: holds the data directory, opens (and migrates) the store, serves HTTP and the
/// control socket, and on SIGTERM/SIGINT stops accepting, drains and closes the store.
public final class Daemon: Sendable {
    let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    public func run() async throws {
        let logger = Logger(label: "fitchat")
        let lock = try DaemonLock(dataDir: settings.dataDir)
        let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: true)
        let status = try store.status()
        logger.notice("store open", metadata: [
            "path": "\(status.path)", "schema": "\(status.schemaVersion)",
            "stale_readers_cleared": "\(status.staleReadersCleared)",
        ])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(System.coreCount, 2))
        let service = DaemonService(settings: settings, store: store, group: group, logger: logger)
        let serviceGroup = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await serviceGroup.run()
        } catch {
            store.close()
            try? await group.shutdownGracefully()
            throw error
        }
        store.close()
        try await group.shutdownGracefully()
        withExtendedLifetime(lock) {}
        logger.notice("stopped")
    }
}

/// The running daemon as one service of the lifecycle: start, wait for the shutdown signal, drain.
struct DaemonService: Service {
    let settings: Settings
    let store: ChatStore
    let group: EventLoopGroup
    let logger: Logger

    func run() async throws {
        let http = HTTPServer(group: group, logger: logger)
        Routes.install(on: http, store: store)
        let address = try await http.bind(host: settings.listen.host, port: settings.listen.port)
        logger.notice("listening on \(address)")
        let control = try await ControlServer.start(path: settings.controlSocketPath, group: group, logger: logger) { message in
            logger.info("control message", metadata: ["message": "\(message)"])
        }
        try? await gracefulShutdown()
        logger.notice("stopping: no longer accepting connections")
        await http.stopAccepting()
        await control.close()
    }
}

/// The HTTP routes of the daemon.
enum Routes {
    static func install(on http: HTTPServer, store: ChatStore) {
        http.route(.GET, "/healthz") { _ in .text(.ok, "ok\n") }
    }
}
