import Foundation

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
    /// Open TCP connections at most; nil → derived from the file-descriptor limit.
    public var maxConnections: Int?
    public var openRegistration: Bool = false
    /// Host names the server answers to besides IP literals and `localhost` (DNS rebinding guard).
    public var serverNames: [String] = []
    /// Extra origins (scheme://host[:port]) allowed besides the server's own.
    public var allowedOrigins: [String] = []
    public var logTarget: String = "auto"
    public var logLevel: String = "info"
    /// Where the settings came from, for `fitchat serve`'s start-up log line.
    public var configFile: String?

    public init(layout: InstallLayout) {
        dataDir = layout.defaultDataDir
        runtimeDir = layout.defaultRuntimeDir
    }

    /// The connection cap in effect: `max_connections`, or what the file-descriptor limit leaves.
    public var effectiveMaxConnections: Int { maxConnections ?? Self.defaultMaxConnections(fileLimit: Self.currentFileLimit()) }

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

    /// The Unix socket the daemon listens on for admin notifications from the CLI.
    public var controlSocketPath: String { ((runtimeDir ?? dataDir) as NSString).appendingPathComponent("control.sock") }
}

public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces).
    public static func parse(_ text: String) -> ListenAddress? {
        var hostPart: Substring
        var portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { return nil }  // bare IPv6 needs brackets
        }
        guard let port = Int(portPart), (0...65535).contains(port) else { return nil }
        if hostPart.isEmpty { hostPart = "0.0.0.0" }
        return ListenAddress(host: String(hostPart), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Where the defaults point: the source tree (`./var`) or the installed layout (`/var/lib/fitchat`).
public struct InstallLayout: Sendable, Equatable {
    public var isInstalled: Bool
    public var executableDir: String

    public static let configFile = "/etc/fitchat/fitchat.conf"
    /// Made by the package at first install (root:fitchat 0640), kept on upgrade.
    public static let tokenSecretFile = "/etc/fitchat/token-secret"

    public init(isInstalled: Bool, executableDir: String) {
        self.isInstalled = isInstalled
        self.executableDir = executableDir
    }

    /// The running binary is "installed" when it lives under /usr (the Debian package puts it in /usr/bin).
    public static func detect(executablePath: String = currentExecutablePath()) -> InstallLayout {
        let resolved = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().path
        let dir = (resolved as NSString).deletingLastPathComponent
        return InstallLayout(isInstalled: resolved.hasPrefix("/usr/"), executableDir: dir)
    }

    /// The binary itself, from /proc/self/exe: argv[0] is only a name when run from PATH
    /// (`fitchat` in / would be taken for /fitchat).
    public static func currentExecutablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments.first ?? ""
    }

    public var defaultDataDir: String { isInstalled ? "/var/lib/fitchat" : "var" }
    public var defaultRuntimeDir: String? { isInstalled ? "/run/fitchat" : nil }
    public var defaultWebRoot: String? { isInstalled ? "/usr/share/fitchat/www" : nil }
    public var defaultTokenSecretFile: String? { isInstalled ? InstallLayout.tokenSecretFile : nil }
}

/// Printing settings (a log line, a debugger, `dump`) never shows the token secret.
extension Settings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Settings(listen: \(listen), dataDir: \(dataDir), runtimeDir: \(runtimeDir ?? "-"), tokenSecret: \(tokenSecret == nil ? "none" : "<redacted>"), "
            + "serverNames: \(serverNames), allowedOrigins: \(allowedOrigins), logLevel: \(logLevel))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["listen": listen, "dataDir": dataDir, "tokenSecret": tokenSecret == nil ? "none" : "<redacted>",
                                "serverNames": serverNames, "allowedOrigins": allowedOrigins], displayStyle: .struct)
    }
}
