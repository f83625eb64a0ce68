import EngineIO
import EngineIOProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SocketIOProtocol

/// Socket.IO v5 over an Engine.IO server: namespaces, sockets, rooms, events and acks.
public final class SocketIOServer: Sendable {
    public struct Configuration: Sendable {
        /// A connection that has joined no namespace by then is closed.
        public var connectTimeout: TimeAmount = .seconds(45)
        /// Server-to-client acks not answered by then fail.
        public var ackTimeout: TimeAmount = .seconds(10)
        public var limits = SocketIOLimits()
        /// Largest CONNECT packet (its auth payload) held while the application decides.
        public var maxConnectPacketBytes = 16 * 1024
        /// Whether sockets keep their CONNECT payload as `Socket.auth`. Off by default: it usually
        /// holds a token, which then stays in memory (a few hundred bytes) for the connection's life.
        public var keepsAuth = false
        public init() {}
    }

    public let engine: EngineServer
    public let configuration: Configuration
    let logger: Logger
    private let namespaces = NIOLockedValueBox<[String: Namespace]>([:])

    public init(engine: EngineServer, configuration: Configuration = .init(), logger: Logger) {
        self.engine = engine
        self.configuration = configuration
        self.logger = logger
        engine.onSession { [self] session in
            SocketIOConnection(server: self, session: session).start()
        }
    }

    /// The namespace called `name` (created on first use). `/` always exists.
    public func of(_ name: String) -> Namespace {
        namespaces.withLockedValue { all in
            if let existing = all[name] { return existing }
            let created = Namespace(name: name, server: self)
            all[name] = created
            return created
        }
    }

    func existingNamespace(_ name: String) -> Namespace? {
        namespaces.withLockedValue { $0[name] }
    }
}
