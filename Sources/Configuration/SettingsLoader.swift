import Foundation
import HTTPServer

/// Builds `Settings` from the layers: defaults < config file < environment < flags.
/// Every layer uses the same `key = value` vocabulary (environment: `FITCHAT_<KEY>`).
public enum SettingsLoader {
    public static let keys: [String] = [
        "listen", "data_dir", "web_root", "runtime_dir", "token_secret", "token_secret_file", "message_burst",
        "message_rate",
        "max_connections_per_ip", "max_pending_connections_per_ip", "max_pending_connections", "max_connections",
        "header_timeout",
        "idle_timeout", "listen_backlog",
        "open_registration",
        "allowed_origins",
        "server_names", "trusted_proxies", "forwarded_headers", "metrics_token", "public_url", "log_target",
        "log_level",
    ]

    /// - Parameters:
    ///   - flags: values given on the command line, by key (e.g. `["listen": "0.0.0.0:80"]`).
    ///   - configFile: `--config FILE`; it must exist. Without it, `FITCHAT_CONFIG` or /etc/fitchat/fitchat.conf is read when present.
    public static func load(
        flags: [String: String] = [:],
        configFile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        layout: InstallLayout = .detect(),
        defaultConfigFile: String = InstallLayout.configFile
    ) throws -> Settings {
        var settings = Settings(layout: layout)
        // systemd's StateDirectory= / RuntimeDirectory= tell us where we may write.
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first { settings.dataDir = String(state) }
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first {
            settings.runtimeDir = String(runtime)
        }

        let explicitFile = configFile ?? environment["FITCHAT_CONFIG"]
        let file = explicitFile ?? defaultConfigFile
        if explicitFile != nil || FileManager.default.fileExists(atPath: file) {
            guard FileManager.default.fileExists(atPath: file) else {
                throw SettingsError.configFileMissing(
                    path: FilePaths.absolute(file), namedBy: configFile != nil ? "--config" : "FITCHAT_CONFIG")
            }
            let text = try readConfigFile(file)
            for (lineNumber, key, value) in try parseConfigFile(text, path: file) {
                try apply(key: key, value: value, to: &settings, source: "\(file):\(lineNumber)")
            }
            settings.configFile = file
        }
        for key in keys {
            if let value = environment["FITCHAT_" + key.uppercased()] {
                try apply(key: key, value: value, to: &settings, source: "FITCHAT_\(key.uppercased())")
            }
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            try apply(
                key: key, value: value, to: &settings, source: "--\(key.replacingOccurrences(of: "_", with: "-"))")
        }
        try loadTokenSecret(into: &settings, environment: environment, layout: layout)
        return settings
    }

    /// A `token_secret` given as a value wins; else the first of: `token_secret_file` (must be
    /// readable), the systemd credential `$CREDENTIALS_DIRECTORY/token-secret` (`LoadCredential=`),
    /// the installed /etc/fitchat/token-secret (when readable: the service's group and root).
    static func loadTokenSecret(into settings: inout Settings, environment: [String: String], layout: InstallLayout)
        throws
    {
        guard settings.tokenSecret == nil else {
            settings.tokenSecretFile = nil
            return
        }
        var candidates: [String] = []
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            candidates.append((credentials as NSString).appendingPathComponent("token-secret"))
        }
        if let installed = layout.defaultTokenSecretFile { candidates.append(installed) }
        if let explicit = settings.tokenSecretFile {
            candidates = [explicit]
        }
        for path in candidates {
            guard let data = FileManager.default.contents(atPath: path) else {
                if path == settings.tokenSecretFile { throw SettingsError.tokenSecretFileUnreadable(path: path) }
                continue
            }
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw SettingsError.tokenSecretFileEmpty(path: path) }
            settings.tokenSecret = secret
            settings.tokenSecretFile = path
            return
        }
    }

    /// Applies one command-line value on top of loaded settings (`--public-url` of a subcommand).
    public static func apply(flag key: String, value: String, to settings: inout Settings) throws {
        try apply(key: key, value: value, to: &settings, source: "--\(key.replacingOccurrences(of: "_", with: "-"))")
    }

    /// `key = value` lines; `#` starts a comment line; blank lines ignored; values may be quoted.
    static func parseConfigFile(_ text: String, path: String) throws -> [(Int, String, String)] {
        var entries: [(Int, String, String)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw SettingsError.notKeyValue(path: path, line: index + 1)
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "-", with: "_")
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
                value = String(value.dropFirst().dropLast())
            }
            entries.append((index + 1, key, value))
        }
        return entries
    }

    static func apply(key: String, value: String, to settings: inout Settings, source: String) throws {
        func bad(_ why: String) -> SettingsError {
            .invalidValue(source: source, key: key, value: value, expected: why)
        }
        func number(_ range: ClosedRange<Double>) throws -> Double {
            guard let n = Double(value), range.contains(n) else {
                throw bad("expected a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
        switch key {
        case "listen":
            guard let address = ListenAddress.parse(value) else { throw bad("expected HOST:PORT") }
            settings.listen = address
        case "data_dir":
            guard !value.isEmpty else { throw bad("empty path") }
            settings.dataDir = value
        case "web_root":
            settings.webRoot = value.isEmpty ? nil : value
        case "runtime_dir":
            guard !value.isEmpty else { throw bad("empty path") }
            settings.runtimeDir = value
        case "token_secret":
            settings.tokenSecret = value.isEmpty ? nil : value
        case "token_secret_file":
            settings.tokenSecretFile = value.isEmpty ? nil : value
        case "message_burst":
            settings.messageBurst = try number(1...1_000_000)
        case "message_rate":
            settings.messageRate = try number(0...1_000_000)
        case "max_connections_per_ip":
            settings.maxConnectionsPerIP = Int(try number(1...10_000_000))
        case "max_pending_connections_per_ip":
            settings.maxPendingConnectionsPerIP = Int(try number(1...10_000_000))
        case "max_pending_connections":
            settings.maxPendingConnections = Int(try number(1...10_000_000))
        case "max_connections":
            settings.maxConnections = value.isEmpty || value == "auto" ? nil : Int(try number(1...10_000_000))
        case "header_timeout":
            settings.headerTimeout = try number(0.1...3600)
        case "idle_timeout":
            settings.idleTimeout = try number(30...86_400)
        case "listen_backlog":
            settings.listenBacklog = Int(try number(16...65_535))
        case "open_registration":
            switch value.lowercased() {
            case "yes", "true", "on", "1": settings.openRegistration = true
            case "no", "false", "off", "0": settings.openRegistration = false
            default: throw bad("expected yes or no")
            }
        case "allowed_origins":
            let origins = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            for origin in origins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
                throw bad("'\(origin)' must start with http:// or https://")
            }
            settings.allowedOrigins = origins
        case "server_names":
            let names = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter
            { !$0.isEmpty }
            for name in names where !HostPolicy.isValidServerName(name) {
                throw bad("'\(name)' is not a host name (letters, digits, '-' and dots; no scheme or port)")
            }
            settings.serverNames = names
        case "trusted_proxies":
            let entries = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            switch TrustedProxies.parse(entries) {
            case .success(let proxies): settings.trustedProxies.networks = proxies.networks
            case .failure(let error):
                throw bad(
                    "'\(error.entry)' is not an IP address or CIDR (e.g. 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8; no host bits past the prefix)"
                )
            }
        case "forwarded_headers":
            guard let family = TrustedProxies.ForwardedHeaders(rawValue: value.lowercased()) else {
                throw bad("expected x-forwarded (X-Forwarded-For, -Proto, -Host) or forwarded (RFC 7239)")
            }
            settings.trustedProxies.headers = family
        case "metrics_token":
            // The error never repeats the token.
            func badToken(_ why: String) -> SettingsError {
                .invalidValue(source: source, key: key, value: "<redacted>", expected: why)
            }
            guard value.isEmpty || value.utf8.count >= 16 else { throw badToken("expected at least 16 characters") }
            guard value.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
                throw badToken("expected printable ASCII without spaces")
            }
            settings.metricsToken = value.isEmpty ? nil : value
        case "public_url":
            guard !value.isEmpty else {
                settings.publicURL = nil
                return
            }
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https",
                let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
            else { throw bad("expected an http:// or https:// address such as https://chat.example-gym.com/") }
            settings.publicURL = value
        case "log_target":
            guard ["auto", "journal", "stderr"].contains(value) else { throw bad("expected auto, journal or stderr") }
            settings.logTarget = value
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw bad("expected trace, debug, info, notice, warning, error or critical")
            }
            settings.logLevel = value
        default:
            throw SettingsError.unknownSetting(source: source, key: key, known: keys)
        }
    }
}

/// The file's text, or a sentence naming the file and the reason (never Foundation's error dump).
func readConfigFile(_ path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw SettingsError.configFileUnreadable(
            path: FilePaths.absolute(path), reason: String(cString: strerror(errno)))
    }
    defer { try? handle.close() }
    let data: Data
    do {
        data = try handle.readToEnd() ?? Data()
    } catch {
        throw SettingsError.configFileUnreadable(path: FilePaths.absolute(path), reason: describe(error))
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw SettingsError.configFileNotText(path: FilePaths.absolute(path))
    }
    return text
}

func describe(_ error: Error) -> String {
    if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
        return String(cString: strerror(Int32(underlying.code)))
    }
    return "\(error)"
}
