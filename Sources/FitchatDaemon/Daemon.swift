import Accounts
import Administration
import ChatModel
import ChatStore
import Configuration
import EngineIO
import EngineIOProtocol
import FitchatCore
import Foundation
import HTTPServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SocketIO
import Systemd
import WebRoutes

/// `fitchat serve`: holds the data directory, opens (and migrates) the store, serves HTTP and the
/// control socket, and on SIGTERM/SIGINT stops accepting, drains and closes the store.
public final class Daemon: Sendable {
    let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    public func run() async throws {
        LogSetup.bootstrap(target: settings.logTarget, level: settings.logLevel)
        let logger = Logger(label: "fitchat")
        // A short secret stops the start: a guessable secret would let anyone sign tokens.
        let hostApp = try settings.tokenSecret.map { try HostAppTokenVerifier(secret: $0) }
        try StoreAccess.requireStore(in: settings.dataDir, creation: .mayCreate)
        let lock = try DaemonLock(dataDir: settings.dataDir)
        let store = try StoreAccess.open(dataDir: settings.dataDir, migrate: true, creation: .mayCreate)
        let status = try store.status()
        for note in store.migrationNotes { logger.warning("migration: \(note)") }
        logger.notice("store open", metadata: [
            "path": "\(status.path)", "schema": "\(status.schemaVersion)",
            "stale_readers_cleared": "\(status.staleReadersCleared)",
        ])
        let metrics = ChatMetrics.bootstrap()
        store.onCommit = { batch, seconds in metrics.committed(batch: batch, seconds: seconds) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(System.coreCount, 2))
        let service = DaemonService(settings: settings, store: store, hostApp: hostApp, metrics: metrics, group: group, logger: logger)
        let serviceGroup = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await serviceGroup.run()
        } catch {
            store.close()
            try? await group.shutdownGracefully()
            throw error
        }
        // Closing the store lets the writer finish every queued write first.
        store.close()
        try await group.shutdownGracefully()
        withExtendedLifetime(lock) {}
        logger.notice("stopped")
    }
}
