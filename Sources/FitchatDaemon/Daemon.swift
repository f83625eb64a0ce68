import Accounts
import Administration
import ChatStore
import Configuration
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Systemd

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
        logger.notice(
            "store open",
            metadata: [
                "path": "\(status.path)", "schema": "\(status.schemaVersion)",
                "stale_readers_cleared": "\(status.staleReadersCleared)",
            ])
        let metrics = ChatMetrics.bootstrap()
        store.onCommit = { batch, seconds in metrics.committed(batch: batch, seconds: seconds) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(System.coreCount, 2))
        do {
            let services = try Self.services(
                settings: settings, store: store, hostApp: hostApp, metrics: metrics, group: group, logger: logger)
            let serviceGroup = ServiceGroup(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await serviceGroup.run()
        } catch {
            store.close()  // a no-op if the store service closed it already
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        withExtendedLifetime(lock) {}
        logger.notice("stopped")
    }

    /// In start order; ServiceLifecycle stops them in reverse: systemd hears STOPPING=1 first, the
    /// control socket closes, the web server drains, and the store closes last.
    static func services(
        settings: Settings, store: ChatStore, hostApp: HostAppTokenVerifier?, metrics: ChatMetrics,
        group: EventLoopGroup, logger: Logger
    ) throws -> [any Service] {
        let web = try WebService(
            settings: settings, store: store, hostApp: hostApp, metrics: metrics, group: group, logger: logger)
        let control = ControlService(path: settings.controlSocketPath, chat: web.chat, group: group, logger: logger)
        let systemd = SystemdService(
            notifier: Notifier(), prerequisites: [web.listening, control.started], chat: web.chat,
            store: store, group: group, logger: logger)
        return [StoreService(store: store), StorageWatch(store: store, logger: logger), web, control, systemd]
    }
}
