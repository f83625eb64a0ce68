import Foundation
import HTTPServer

/// Everything `fitchat` can be configured with. Precedence: flags > environment > config file > defaults.
public struct Settings: Sendable, Equatable {
    public var listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080)
    public var dataDir: String
    public var webRoot: String?
    /// Where the control socket lives; nil → beside the data (the source-tree layout).
    public var runtimeDir: String?
    /// HS256 secret for host-app tokens; nil → host-app tokens are not accepted.
    public var tokenSecret: String?
    /// Where `tokenSecret` was read from when it came from a file (`token_secret_file`, a systemd
    /// credential, or the installed /etc/fitchat/token-secret).
    public var tokenSecretFile: String?
    public var messageBurst: Double = 20
    public var messageRate: Double = 5
    public var maxConnectionsPerIP: Int = 1000
    /// Connections from one address that have not signed in yet (no Socket.IO CONNECT succeeded).
    public var maxPendingConnectionsPerIP: Int = 64
    /// The same, from every address together: what many addresses (an IPv6 /48 holds 65,536 /64s)
    /// can make the server keep before anyone signed in.
    public var maxPendingConnections: Int = 512
    /// Open TCP connections at most; nil → derived from the file-descriptor limit.
    public var maxConnections: Int?
    /// Seconds a client has to send a whole request head (from accept, or from a keep-alive
    /// follow-up's first byte); a slower or silent connection is closed.
    public var headerTimeout: Double = 10
    /// Seconds a connection may send nothing before it is closed (at least 30: a WebSocket is
    /// quiet for up to the 25 s Engine.IO ping interval).
    public var idleTimeout: Double = 75
    /// Connections the kernel queues before the daemon accepts them (capped by net.core.somaxconn).
    public var listenBacklog: Int = 1024
    public var openRegistration: Bool = false
    /// Host names the server answers to besides IP literals and `localhost` (DNS rebinding guard).
    public var serverNames: [String] = []
    /// Extra origins (scheme://host[:port]) allowed besides the server's own.
    public var allowedOrigins: [String] = []
    /// The address members open (`https://chat.example-gym.com/`), for the links the CLI and the
    /// admin page print; nil → `http://<listen>/`.
    public var publicURL: String?
    /// Reverse proxies (addresses/CIDRs) whose `Forwarded` / `X-Forwarded-*` headers are believed:
    /// the client address, scheme and host they report. Empty: every such header is ignored.
    public var trustedProxies = TrustedProxies()
    /// A bearer token that opens `/metrics` to any address; nil → loopback and trusted proxies only.
    public var metricsToken: String?
    public var logTarget: String = "auto"
    public var logLevel: String = "info"
    /// Where the settings came from, for `fitchat serve`'s start-up log line.
    public var configFile: String?

    public init(layout: InstallLayout) {
        dataDir = layout.defaultDataDir
        runtimeDir = layout.defaultRuntimeDir
    }

    /// The connection cap in effect: `max_connections`, or what the file-descriptor limit leaves.
    public var effectiveMaxConnections: Int {
        maxConnections ?? Self.defaultMaxConnections(fileLimit: Self.currentFileLimit())
    }

    /// Leaves room below the descriptor limit for what is not a connection: the store's files, the
    /// listening and control sockets, the journal, each event loop's epoll and wakeup descriptors.
    public static func defaultMaxConnections(fileLimit: Int) -> Int {
        max(16, fileLimit - max(64, fileLimit / 10))
    }

    /// The soft RLIMIT_NOFILE of this process.
    public static func currentFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: min(limit.rlim_cur, 1 << 20))  // RLIM_INFINITY is all ones
    }

    /// The base of every link fitchat prints: `public_url`, or `http://<listen>/`; ends with `/`.
    public var publicBase: String {
        let base = publicURL ?? "http://\(listen)/"
        return base.hasSuffix("/") ? base : base + "/"
    }

    /// A full link to `path` on this server (`link(path: "/join/CODE")` → `https://chat.example/join/CODE`).
    public func link(path: String) -> String {
        publicBase + path.drop(while: { $0 == "/" })
    }

    /// The Unix socket the daemon listens on for admin notifications from the CLI.
    public var controlSocketPath: String {
        ((runtimeDir ?? dataDir) as NSString).appendingPathComponent("control.sock")
    }
}

/// Printing settings (a log line, a debugger, `dump`) never shows the token secret.
extension Settings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Settings(listen: \(listen), dataDir: \(dataDir), runtimeDir: \(runtimeDir ?? "-"), tokenSecret: \(tokenSecret == nil ? "none" : "<redacted>"), metricsToken: \(metricsToken == nil ? "none" : "<redacted>"), "
            + "serverNames: \(serverNames), allowedOrigins: \(allowedOrigins), trustedProxies: \(trustedProxies.networks), publicURL: \(publicURL ?? "-"), logLevel: \(logLevel))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "listen": listen, "dataDir": dataDir, "tokenSecret": tokenSecret == nil ? "none" : "<redacted>",
                "serverNames": serverNames, "allowedOrigins": allowedOrigins,
                "trustedProxies": trustedProxies.networks.map(\.description),
                "metricsToken": metricsToken == nil ? "none" : "<redacted>",
            ], displayStyle: .struct)
    }
}
