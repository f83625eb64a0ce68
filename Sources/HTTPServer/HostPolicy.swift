import NIOHTTP1

/// Which `Host` headers the server answers. DNS rebinding points an attacker's name at this
/// server, so a page from `http://rebind.evil.example` sends `Host: rebind.evil.example` with a
/// matching `Origin`: the Origin check alone passes it. Only IP literals, `localhost` and the
/// configured `server_names` are answered; anything else gets 421 Misdirected Request.
public struct HostPolicy: Sendable, Equatable {
    /// Lowercased host names without port or trailing dot.
    public var serverNames: Set<String>

    public init(serverNames: [String] = []) {
        self.serverNames = Set(serverNames.map { Self.normalised($0) })
    }

    /// A request without `Host` (HTTP/1.0 tools) is no browser, so no rebinding: allowed.
    /// Several `Host` headers are refused.
    public func allows(_ headers: HTTPHeaders) -> Bool {
        let hosts = headers["Host"]
        guard !hosts.isEmpty else { return true }
        guard hosts.count == 1, let name = Self.hostName(of: hosts[0]) else { return false }
        return allows(hostName: name)
    }

    /// As `allows(_:)`, and the host a trusted proxy forwarded (`X-Forwarded-Host`) must pass too.
    public func allows(_ headers: HTTPHeaders, client: ClientAddress) -> Bool {
        guard allows(headers) else { return false }
        guard let forwarded = client.forwardedHost else { return true }
        guard let name = Self.hostName(of: forwarded) else { return false }
        return allows(hostName: name)
    }

    public func allows(hostName: String) -> Bool {
        let name = Self.normalised(hostName)
        return name == "localhost" || Self.isIPLiteral(name) || serverNames.contains(name)
    }

    /// The host part of a `Host` header value (`name`, `name:port`, `[v6]`, `[v6]:port`).
    static func hostName(of value: String) -> String? {
        let value = value.trimmingCharacters(in: " \t")
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            let rest = value[value.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else {
                return nil
            }
            return String(value[...close])
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { return nil }
        if parts.count == 2, parts[1].isEmpty || !parts[1].allSatisfy(\.isASCIIDigit) { return nil }
        return String(parts[0])
    }

    static func normalised(_ name: String) -> String {
        var lower = name.lowercased()
        if lower.hasSuffix("."), lower.count > 1 { lower.removeLast() }
        return lower
    }

    /// Dotted-quad IPv4 (each part 0–255) or a bracketed IPv6 literal.
    static func isIPLiteral(_ name: String) -> Bool {
        if name.hasPrefix("["), name.hasSuffix("]") {
            let inner = name.dropFirst().dropLast()
            return inner.contains(":") && inner.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
                && inner.count <= 45
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                (1...3).contains(part.count) && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
            }
    }

    /// For the `server_names` setting: letters, digits, `-`, dots; no scheme, port or path.
    public static func isValidServerName(_ name: String) -> Bool {
        guard (1...253).contains(name.utf8.count) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}
