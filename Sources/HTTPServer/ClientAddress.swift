import Foundation
import NIOHTTP1

/// An IPv4 or IPv6 network (`192.0.2.0/24`, `2001:db8::/32`, or one address): the unit of the
/// `trusted_proxies` setting.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]
    public let prefixLength: Int

    /// `ADDRESS` or `ADDRESS/PREFIX`; nil when malformed (or the prefix is too long, or host bits are set).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let bytes = IPNetwork.parseAddress(String(parts[0])) else { return nil }
        let maxLength = bytes.count * 8
        var length = maxLength
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = Int(parts[1]), n <= maxLength
            else { return nil }
            length = n
        }
        guard IPNetwork.masked(bytes, length) == bytes else { return nil }
        self.bytes = bytes
        prefixLength = length
    }

    public func contains(_ address: [UInt8]) -> Bool {
        address.count == bytes.count && IPNetwork.masked(address, prefixLength) == bytes
    }

    public var description: String {
        "\(ClientAddress.canonical(bytes))/\(prefixLength)"
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(8, max(0, length - index * 8))
            return bits == 8 ? byte : byte & ~(UInt8(0xFF) >> bits)
        }
    }

    /// The bytes of an IP literal; an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack
    /// socket reports an IPv4 peer) gives the IPv4 bytes. No zone ids, no brackets.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &address) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return Array(bytes[12...])
            }
            return bytes
        }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}

/// The `trusted_proxies` setting: the peers whose forwarding headers are believed, and
/// (`forwarded_headers`) which family of headers they write.
public struct TrustedProxies: Sendable, Equatable {
    public var networks: [IPNetwork]
    /// The one family of headers the proxies set. The other is ignored even from them: a proxy
    /// passes on what it does not write itself, so a client's own `Forwarded: for=127.0.0.1`
    /// went through nginx (which writes `X-Forwarded-For`) and was believed — opening /metrics and
    /// giving every request a fresh address for the per-address limits and the login throttle.
    public var headers: ForwardedHeaders = .xForwarded

    public enum ForwardedHeaders: String, Sendable, Equatable, CaseIterable {
        /// `X-Forwarded-For`, `-Proto`, `-Host`: what nginx, Caddy, HAProxy and Apache write.
        case xForwarded = "x-forwarded"
        /// RFC 7239 `Forwarded: for=…;proto=…;host=…`.
        case forwarded
    }

    public init(_ networks: [IPNetwork] = [], headers: ForwardedHeaders = .xForwarded) {
        self.networks = networks
        self.headers = headers
    }

    /// Each entry an address or CIDR; nil names the first malformed entry.
    public static func parse(_ entries: [String]) -> Result<TrustedProxies, ParseError> {
        var networks: [IPNetwork] = []
        for entry in entries {
            guard let network = IPNetwork(entry) else { return .failure(ParseError(entry: entry)) }
            networks.append(network)
        }
        return .success(TrustedProxies(networks))
    }

    public struct ParseError: Error, Equatable {
        public let entry: String
    }

    public var isEmpty: Bool { networks.isEmpty }

    public func contains(_ address: String) -> Bool {
        guard !networks.isEmpty, let bytes = IPNetwork.parseAddress(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }
}

/// Who a request is from, as far as the server can tell: the TCP peer, and — only when that peer is
/// a trusted proxy — what the proxy says about the client (address, scheme, host).
public struct ClientAddress: Sendable, Equatable {
    /// The TCP peer's IP ("unknown" without one, e.g. a Unix socket).
    public var peer: String
    /// The address per-address limits and logs use: the forwarded client, or the peer.
    public var address: String
    /// The peer is a trusted proxy and it named a client (`Forwarded: for=` or `X-Forwarded-For`).
    public var forwarded: Bool
    /// `http` or `https` as the trusted proxy reported it; nil when not said (or not trusted).
    public var forwardedScheme: String?
    /// The host the client asked for, as the trusted proxy reported it (`X-Forwarded-Host` / `host=`).
    public var forwardedHost: String?

    public init(
        peer: String, address: String? = nil, forwarded: Bool = false, forwardedScheme: String? = nil,
        forwardedHost: String? = nil
    ) {
        self.peer = peer
        self.address = address ?? peer
        self.forwarded = forwarded
        self.forwardedScheme = forwardedScheme
        self.forwardedHost = forwardedHost
    }

    /// What per-address limits count under: an IPv4 address whole, an IPv6 address by its /64
    /// (`2001:db8:1:2::/64`). A provider gives one home or phone a whole /64, so counting single
    /// IPv6 addresses gave one host 2^64 budgets for connections, sign-ins and registrations. An
    /// IPv4 client seen through a translator or tunnel counts as its IPv4 address (below); what is
    /// no IP literal ("unknown") as itself.
    public var limitKey: String { Self.limitKey(of: address) }

    public static func limitKey(of address: String) -> String {
        guard let bytes = IPNetwork.parseAddress(address) else { return address }
        if bytes.count == 4 { return canonical(bytes) }
        if let ipv4 = embeddedIPv4(bytes) { return canonical(ipv4) }
        // Local-use NAT64 (64:ff9b:1::/48) puts the IPv4 address where its prefix length says:
        // the whole address is one IPv4 client.
        if bytes.starts(with: [0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01]) { return canonical(bytes) }
        return canonical(IPNetwork.masked(bytes, 64)) + "/64"
    }

    /// The IPv4 address inside an IPv6 one that stands for an IPv4 client: IPv4-compatible
    /// (`::/96`) and SIIT (`::ffff:0:0/96`), the well-known NAT64 prefix (`64:ff9b::/96`), 6to4
    /// (`2002::/16`) and Teredo (`2001::/32`, the client's address inverted). Counted by /64, every
    /// IPv4 client behind one NAT64 or Teredo server would share one budget (found by an attack).
    static func embeddedIPv4(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count == 16 else { return nil }
        let high = bytes[0..<12]
        let compatible = high.allSatisfy { $0 == 0 } && bytes[12] != 0  // not `::` or `::1`
        let siit = high.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0])
        let nat64 = high.elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0])
        if compatible || siit || nat64 { return Array(bytes[12...]) }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return Array(bytes[2..<6]) }
        if bytes[0..<4].elementsEqual([0x20, 0x01, 0, 0]) { return bytes[12...].map { $0 ^ 0xFF } }
        return nil
    }

    /// How a dual-stack socket reports an IPv4 peer (`::ffff:192.0.2.1`), written as the IPv4
    /// address it is, so the logs name one client one way whether or not a proxy forwarded it.
    public static func unmapped(_ address: String) -> String {
        guard address.contains(":"), let bytes = IPNetwork.parseAddress(address), bytes.count == 4 else {
            return address
        }
        return canonical(bytes)
    }

    /// A request straight from `peer` (no proxy believed).
    public static func direct(_ peer: String?) -> ClientAddress { ClientAddress(peer: peer.map(unmapped) ?? "unknown") }

    /// The request came over HTTPS as far as the server can tell (it terminates no TLS itself).
    public var isHTTPS: Bool { forwardedScheme == "https" }

    /// `/metrics` and the like: a loopback peer, or a trusted proxy; and, when a proxy forwarded the
    /// request, a loopback client behind it.
    public func isLocal(trusted: TrustedProxies) -> Bool {
        guard Self.isLoopback(peer) || trusted.contains(peer) else { return false }
        return !forwarded || Self.isLoopback(address)
    }

    public static func isLoopback(_ address: String) -> Bool {
        guard let bytes = IPNetwork.parseAddress(address) else { return false }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
    }

    /// The one place that decides. From an untrusted peer every forwarding header is ignored. From a
    /// trusted one, the family `trusted.headers` names (the other is ignored): the chain is walked
    /// from the right, skipping trusted proxies; the first untrusted address is the client (when all
    /// are trusted, the leftmost). A malformed or obfuscated entry where the walk stops → the peer.
    public static func resolve(peer: String?, headers: HTTPHeaders, trusted: TrustedProxies) -> ClientAddress {
        let peer = peer.map(unmapped) ?? "unknown"
        guard trusted.contains(peer) else { return ClientAddress(peer: peer) }
        var result = ClientAddress(peer: peer)
        var chain: [String?] = []
        var proto: String?
        var host: String?
        switch trusted.headers {
        case .forwarded:
            for element in headers["Forwarded"].flatMap({ splitList($0, separator: ",") }) {
                var elementFor: String?? = .none
                for pair in splitList(element, separator: ";") {
                    guard let eq = pair.firstIndex(of: "=") else { continue }
                    let name = pair[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = unquote(String(pair[pair.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
                    switch name {
                    case "for": elementFor = .some(forwardedNode(value))
                    case "proto": proto = value
                    case "host": host = value
                    default: break
                    }
                }
                if case .some(let node) = elementFor { chain.append(node) }
            }
        case .xForwarded:
            chain = headers["X-Forwarded-For"].flatMap { splitList($0, separator: ",") }.map(forwardedNode)
            proto = headers["X-Forwarded-Proto"].flatMap { splitList($0, separator: ",") }.last?
                .trimmingCharacters(in: .whitespaces)
            host = headers["X-Forwarded-Host"].flatMap { splitList($0, separator: ",") }.last?
                .trimmingCharacters(in: .whitespaces)
        }
        if let proto = proto?.lowercased(), proto == "http" || proto == "https" { result.forwardedScheme = proto }
        if let host, let name = HostPolicy.hostName(of: host),
            HostPolicy.isIPLiteral(name) || HostPolicy.isValidServerName(name)
        {
            result.forwardedHost = host
        }
        guard !chain.isEmpty else { return result }
        result.forwarded = true
        for (index, node) in chain.enumerated().reversed() {
            guard let node else { return result }  // malformed: the peer
            if !trusted.contains(node) || index == 0 {
                result.address = node
                return result
            }
        }
        return result
    }

    /// An address of a forwarding header (`192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`,
    /// `2001:db8::1`), canonical (IPv4-mapped → IPv4); nil for `unknown`, `_obfuscated` or garbage.
    static func forwardedNode(_ value: String) -> String? {
        var text = Substring(value)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.count > 1 && rest.dropFirst().allSatisfy(\.isNumber))
            else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
            guard text.contains(":") else { return nil }
        } else if text.filter({ $0 == ":" }).count == 1 {
            let colon = text.firstIndex(of: ":")!
            let port = text[text.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return nil }
            text = text[..<colon]
        }
        guard let bytes = IPNetwork.parseAddress(String(text)) else { return nil }
        return canonical(bytes)
    }

    static func canonical(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "unknown" }
        return String(cString: buffer)
    }

    /// Splits on `separator` outside double quotes.
    static func splitList(_ text: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted, character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == separator, !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var out = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if escaped {
                out.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}
