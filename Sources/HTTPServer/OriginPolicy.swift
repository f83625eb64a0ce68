import NIOHTTP1

/// Decides whether a request's `Origin` may use a real-time endpoint: a browser request must come
/// from the server's own origin (same host and port as its `Host` header) or from a configured
/// allowlist; a request without `Origin` (not a browser) is allowed. This is what stops
/// cross-site WebSocket hijacking, where a browser would otherwise attach the victim's cookie.
public struct OriginPolicy: Sendable, Equatable {
    /// Extra origins allowed, e.g. `https://chat.example-gym.com`; `*` allows any.
    public var allowed: [String]

    public init(allowed: [String] = []) { self.allowed = allowed }

    public func allows(_ headers: HTTPHeaders) -> Bool {
        allows(headers, client: .direct(nil))
    }

    /// Behind a trusted proxy the server's own origin is the one the proxy reports: its
    /// `X-Forwarded-Host` (else `Host`) and, when it says, its scheme (`https` only then).
    public func allows(_ headers: HTTPHeaders, client: ClientAddress) -> Bool {
        let host = client.forwardedHost ?? headers.first(name: "Host")
        // Several Origin headers are suspicious: every one of them must pass.
        return headers["Origin"].allSatisfy { allows(origin: $0, host: host, scheme: client.forwardedScheme) }
    }

    private func allows(origin: String, host: String?, scheme: String?) -> Bool {
        let normalized = origin.lowercased()
        if allowed.contains("*") || allowed.contains(where: { $0.lowercased() == normalized }) { return true }
        guard let host = host?.lowercased(), !host.isEmpty else { return false }
        if let scheme { return normalized == "\(scheme)://\(host)" }
        return normalized == "http://\(host)" || normalized == "https://\(host)"
    }
}
