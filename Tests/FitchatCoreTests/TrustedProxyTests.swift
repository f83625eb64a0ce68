import Foundation
import NIOHTTP1
import Testing

@testable import Configuration
@testable import FitchatDaemon
@testable import HTTPServer

@Suite struct TrustedProxyTests {
    let layout = InstallLayout(isInstalled: false, executableDir: "/src/.build/debug")

    func proxies(_ entries: String...) throws -> TrustedProxies {
        try TrustedProxies.parse(entries).get()
    }

    // MARK: CIDR matching

    @Test func networksMatchTheirAddressesOnly() throws {
        let trusted = try proxies("127.0.0.1/32", "10.0.0.0/8", "192.168.1.16/28", "::1", "fd00::/8")
        for inside in [
            "127.0.0.1", "10.1.2.3", "10.255.255.255", "192.168.1.16", "192.168.1.31", "::1", "fd12::5",
            "::ffff:10.9.9.9", "::ffff:127.0.0.1",
        ] {
            #expect(trusted.contains(inside), "\(inside)")
        }
        for outside in [
            "127.0.0.2", "11.0.0.1", "192.168.1.15", "192.168.1.32", "::2", "fe80::1", "garbage", "",
            "unknown", "1.2.3.4.5",
        ] {
            #expect(!trusted.contains(outside), "\(outside)")
        }
        #expect(!TrustedProxies().contains("127.0.0.1"))
        #expect(try proxies("0.0.0.0/0").contains("203.0.113.9"))
        #expect(try !proxies("0.0.0.0/0").contains("2001:db8::1"))
        #expect(try proxies("::/0").contains("2001:db8::1"))
    }

    @Test(arguments: [
        "10.0.0.1/8", "10.0.0.0/33", "::1/129", "10.0.0.0/", "/8", "10.0.0", "256.0.0.1", "example.com",
        "10.0.0.0/8/8", "10.0.0.0/-1", "[::1]", "fe80::1%eth0", "10.0.0.0/ 8",
    ])
    func malformedNetworksAreRefused(entry: String) {
        #expect(IPNetwork(entry) == nil)
    }

    // MARK: Resolution

    func resolve(_ peer: String, _ headers: [(String, String)], trusted: TrustedProxies) -> ClientAddress {
        ClientAddress.resolve(peer: peer, headers: HTTPHeaders(headers), trusted: trusted)
    }

    @Test func anUntrustedPeerIsTheClientWhateverItSays() throws {
        let trusted = try proxies("10.0.0.5")
        let client = resolve(
            "203.0.113.9",
            [
                ("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"),
                ("Forwarded", "for=127.0.0.1;proto=https"),
            ], trusted: trusted)
        #expect(client == ClientAddress(peer: "203.0.113.9"))
        #expect(!client.forwarded && !client.isHTTPS && client.forwardedHost == nil)
        // Nothing trusted at all (the default): headers ignored even from loopback.
        #expect(
            resolve("127.0.0.1", [("X-Forwarded-For", "198.51.100.1")], trusted: TrustedProxies()).address
                == "127.0.0.1")
    }

    @Test func theChainIsWalkedFromTheRight() throws {
        let trusted = try proxies("127.0.0.1", "10.0.0.0/8")
        // A forged left part does not matter: the first untrusted from the right is the client.
        let client = resolve(
            "127.0.0.1", [("X-Forwarded-For", "1.1.1.1, 198.51.100.7, 10.0.0.3"), ("X-Forwarded-Proto", "https")],
            trusted: trusted)
        #expect(client.address == "198.51.100.7" && client.forwarded && client.isHTTPS && client.peer == "127.0.0.1")
        // Several header lines are one list.
        #expect(
            resolve(
                "127.0.0.1", [("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-For", "203.0.113.1")], trusted: trusted
            )
            .address == "203.0.113.1")
        // All trusted: the leftmost.
        #expect(
            resolve("127.0.0.1", [("X-Forwarded-For", "10.0.0.9, 127.0.0.1")], trusted: trusted).address == "10.0.0.9")
        // A port or an IPv4-mapped form is canonicalised; IPv6 kept.
        #expect(
            resolve("127.0.0.1", [("X-Forwarded-For", "198.51.100.7:5555")], trusted: trusted).address == "198.51.100.7"
        )
        #expect(
            resolve("127.0.0.1", [("X-Forwarded-For", "::ffff:198.51.100.7")], trusted: trusted).address
                == "198.51.100.7")
        #expect(resolve("127.0.0.1", [("X-Forwarded-For", "2001:DB8::1")], trusted: trusted).address == "2001:db8::1")
        // No header: the peer, not marked forwarded.
        let plain = resolve("127.0.0.1", [], trusted: trusted)
        #expect(plain.address == "127.0.0.1" && !plain.forwarded)
    }

    @Test func aMalformedEntryWhereTheWalkStopsMeansThePeer() throws {
        let trusted = try proxies("127.0.0.1")
        for bad in ["not-an-ip", "198.51.100.7, garbage", "unknown", "300.1.1.1", "198.51.100.7:", "[::1"] {
            #expect(resolve("127.0.0.1", [("X-Forwarded-For", bad)], trusted: trusted).address == "127.0.0.1", "\(bad)")
        }
        // Garbage left of the client is never reached.
        #expect(
            resolve("127.0.0.1", [("X-Forwarded-For", "garbage, 198.51.100.7")], trusted: trusted).address
                == "198.51.100.7")
    }

    @Test func onlyTheFamilyOfHeadersTheProxyWritesIsRead() throws {
        // nginx writes X-Forwarded-For and passes a client's own Forwarded on: by default that is
        // ignored, whatever it says (the issue-17 attack opened /metrics with it).
        let nginx = try proxies("127.0.0.1")
        let spoofed = resolve(
            "127.0.0.1",
            [("Forwarded", "for=127.0.0.1;proto=https;host=evil.example"), ("X-Forwarded-For", "203.0.113.5")],
            trusted: nginx)
        #expect(spoofed.address == "203.0.113.5" && spoofed.forwardedScheme == nil && spoofed.forwardedHost == nil)
        #expect(resolve("127.0.0.1", [("Forwarded", "for=198.51.100.9")], trusted: nginx).address == "127.0.0.1")
        // A proxy that writes RFC 7239 `Forwarded`: then X-Forwarded-* are the client's own.
        var rfc = try proxies("127.0.0.1")
        rfc.headers = .forwarded
        let client = resolve(
            "127.0.0.1",
            [
                ("Forwarded", "for=198.51.100.9;proto=https"), ("X-Forwarded-For", "127.0.0.1"),
                ("X-Forwarded-Proto", "http"), ("X-Forwarded-Host", "evil.example"),
            ], trusted: rfc)
        #expect(client.address == "198.51.100.9" && client.isHTTPS && client.forwardedHost == nil)
    }

    @Test func forwardedHeaderIsReadWhenChosen() throws {
        var trusted = try proxies("127.0.0.1", "::1")
        trusted.headers = .forwarded
        let client = resolve(
            "::1",
            [
                (
                    "Forwarded",
                    #"for=198.51.100.1, for="[2001:db8:cafe::17]:4711";proto=https;host="chat.example-gym.com""#
                ),
                ("X-Forwarded-For", "203.0.113.99"),
            ], trusted: trusted)
        #expect(client.address == "2001:db8:cafe::17")
        #expect(client.isHTTPS && client.forwardedHost == "chat.example-gym.com")
        #expect(resolve("::1", [("Forwarded", "for=_hidden")], trusted: trusted).address == "::1")
        #expect(resolve("::1", [("Forwarded", "For=\"198.51.100.3:80\"")], trusted: trusted).address == "198.51.100.3")
        // A proto other than http/https, or a host that is no host, is dropped.
        let odd = resolve(
            "127.0.0.1", [("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "a b/c")],
            trusted: try proxies("127.0.0.1"))
        #expect(odd.forwardedScheme == nil && odd.forwardedHost == nil)
    }

    // MARK: What the resolution feeds

    @Test func originUsesTheForwardedHostAndSchemeOnlyFromTrustedProxies() throws {
        let trusted = try proxies("127.0.0.1")
        let policy = OriginPolicy()
        let headers: [(String, String)] = [
            ("Host", "127.0.0.1:8080"), ("X-Forwarded-Host", "chat.example"), ("X-Forwarded-Proto", "https"),
            ("Origin", "https://chat.example"),
        ]
        #expect(policy.allows(HTTPHeaders(headers), client: resolve("127.0.0.1", headers, trusted: trusted)))
        #expect(!policy.allows(HTTPHeaders(headers), client: resolve("198.51.100.1", headers, trusted: trusted)))
        // Behind a proxy that says https, an http origin is someone else's.
        var plainOrigin = headers
        plainOrigin[3] = ("Origin", "http://chat.example")
        #expect(!policy.allows(HTTPHeaders(plainOrigin), client: resolve("127.0.0.1", plainOrigin, trusted: trusted)))
    }

    @Test func metricsAreForLoopbackTheProxysLoopbackClientsOrTheToken() throws {
        let trusted = try proxies("10.0.0.5", "127.0.0.1")
        func allowed(_ peer: String, _ headers: [(String, String)], token: String? = nil) -> Bool {
            MetricsAccess.allows(
                client: resolve(peer, headers, trusted: trusted),
                authorization: HTTPHeaders(headers).first(name: "Authorization"), trusted: trusted, token: token)
        }
        #expect(allowed("127.0.0.1", []))
        #expect(allowed("::1", []))
        #expect(allowed("10.0.0.5", []))
        #expect(!allowed("198.51.100.1", []))
        #expect(!allowed("198.51.100.1", [("X-Forwarded-For", "127.0.0.1")]))  // forged: ignored
        #expect(!allowed("127.0.0.1", [("X-Forwarded-For", "198.51.100.1")]))
        #expect(allowed("127.0.0.1", [("X-Forwarded-For", "127.0.0.1")]))
        let token = "0123456789abcdef-token"
        #expect(allowed("198.51.100.1", [("Authorization", "Bearer \(token)")], token: token))
        #expect(
            allowed(
                "127.0.0.1", [("X-Forwarded-For", "198.51.100.1"), ("Authorization", "bearer \(token)")], token: token))
        #expect(!allowed("198.51.100.1", [("Authorization", "Bearer \(token)x")], token: token))
        #expect(!allowed("198.51.100.1", [("Authorization", "Basic \(token)")], token: token))
        #expect(!allowed("198.51.100.1", [("Authorization", "Bearer \(token)")], token: nil))
    }

    // MARK: Settings

    @Test func trustedProxiesAndMetricsTokenAreSettings() throws {
        let settings = try SettingsLoader.load(
            environment: [
                "FITCHAT_TRUSTED_PROXIES": " 127.0.0.1/32, ::1 ,10.0.0.0/8",
                "FITCHAT_METRICS_TOKEN": "s3cret-s3cret-s3cret",
            ],
            layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(settings.trustedProxies.networks.map(\.description) == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"])
        #expect(settings.metricsToken == "s3cret-s3cret-s3cret")
        #expect(!settings.description.contains("s3cret"))
        #expect(!"\(String(reflecting: settings))".contains("s3cret"))
        let defaults = try SettingsLoader.load(
            environment: [:], layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(defaults.trustedProxies.isEmpty && defaults.metricsToken == nil)
        #expect(defaults.trustedProxies.headers == .xForwarded)
        // In either order: forwarded_headers is not undone by trusted_proxies.
        let rfc = try SettingsLoader.load(
            environment: ["FITCHAT_FORWARDED_HEADERS": "Forwarded", "FITCHAT_TRUSTED_PROXIES": "10.0.0.1"],
            layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(rfc.trustedProxies.headers == .forwarded && rfc.trustedProxies.networks.count == 1)
        #expect(throws: SettingsError.self) {
            try SettingsLoader.load(
                environment: ["FITCHAT_FORWARDED_HEADERS": "x-real-ip"], layout: layout,
                defaultConfigFile: "/nonexistent/fitchat.conf")
        }
    }

    @Test(arguments: ["10.0.0.1/8", "127.0.0.1, nginx", "::1/200", "127.0.0.1/32;10.0.0.0/8"])
    func malformedTrustedProxiesAreRefusedByName(value: String) {
        let error = #expect(throws: SettingsError.self) {
            try SettingsLoader.load(
                environment: ["FITCHAT_TRUSTED_PROXIES": value], layout: layout,
                defaultConfigFile: "/nonexistent/fitchat.conf")
        }
        #expect(error?.description.contains("FITCHAT_TRUSTED_PROXIES: invalid trusted_proxies") == true)
        #expect(error?.description.contains("is not an IP address or CIDR") == true)
    }

    @Test func aShortMetricsTokenIsRefusedWithoutRepeatingIt() {
        let error = #expect(throws: SettingsError.self) {
            try SettingsLoader.load(
                environment: ["FITCHAT_METRICS_TOKEN": "short-tok"], layout: layout,
                defaultConfigFile: "/nonexistent/fitchat.conf")
        }
        #expect(error?.description.contains("at least 16") == true)
        #expect(error?.description.contains("short-tok") == false)
    }
}

@Suite struct LimitKeyTests {
    @Test func ipv6CountsByItsSlash64AndIPv4ByTheAddress() {
        #expect(ClientAddress.limitKey(of: "2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64")
        #expect(ClientAddress.limitKey(of: "2001:0DB8:0001:0002::9") == "2001:db8:1:2::/64")
        #expect(ClientAddress.limitKey(of: "2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(ClientAddress.limitKey(of: "::1") == "::/64")
        #expect(ClientAddress.limitKey(of: "192.0.2.1") == "192.0.2.1")
        // How a dual-stack socket reports an IPv4 peer: that peer's address, never a shared /64.
        #expect(ClientAddress.limitKey(of: "::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientAddress.limitKey(of: "::ffff:192.0.2.2") == "192.0.2.2")
        #expect(ClientAddress.limitKey(of: "unknown") == "unknown")
    }

    /// An attack found every IPv4 client behind one NAT64 (or Teredo server) sharing one budget.
    @Test func anIPv4ClientThroughATranslatorOrTunnelCountsAsItsIPv4Address() {
        let cases: [(String, String)] = [
            ("64:ff9b::198.51.100.1", "198.51.100.1"),  // well-known NAT64
            ("64:ff9b::203.0.113.9", "203.0.113.9"),
            ("::198.51.100.8", "198.51.100.8"),  // IPv4-compatible
            ("::ffff:0:198.51.100.9", "198.51.100.9"),  // SIIT
            ("2002:c633:6401::1", "198.51.100.1"),  // 6to4
            ("2002:c633:6401:7::2", "198.51.100.1"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),  // Teredo: the address inverted
        ]
        for (address, key) in cases {
            #expect(ClientAddress.limitKey(of: address) == key, "\(address)")
        }
        // Local-use NAT64: one address per IPv4 client, so the whole address.
        #expect(ClientAddress.limitKey(of: "64:ff9b:1::c633:6407") == "64:ff9b:1::c633:6407")
        #expect(ClientAddress.limitKey(of: "64:ff9b:1::cb00:7107") == "64:ff9b:1::cb00:7107")
        // Not a translator's: still the /64.
        #expect(ClientAddress.limitKey(of: "64:ff9b:0:1::5") == "64:ff9b:0:1::/64")
        #expect(ClientAddress.limitKey(of: "2001:db8::5") == "2001:db8::/64")
    }

    @Test func aDualStackSocketsIPv4PeerIsLoggedAsIPv4() {
        #expect(ClientAddress.direct("::ffff:127.0.0.2").peer == "127.0.0.2")
        #expect(ClientAddress.direct("2001:db8::1").peer == "2001:db8::1")
        let trusted = TrustedProxies([IPNetwork("127.0.0.1")!])
        let resolved = ClientAddress.resolve(
            peer: "::ffff:127.0.0.1", headers: ["X-Forwarded-For": "192.0.2.7"], trusted: trusted)
        #expect(resolved.peer == "127.0.0.1" && resolved.address == "192.0.2.7")
    }

    @Test func theForwardedClientIsWhatCounts() {
        let client = ClientAddress(peer: "127.0.0.1", address: "2001:db8:7::5", forwarded: true)
        #expect(client.limitKey == "2001:db8:7::/64")
        #expect(client.address == "2001:db8:7::5")  // the logs keep the whole address
        #expect(ClientAddress.direct("198.51.100.4").limitKey == "198.51.100.4")
    }
}
