import Foundation
import Testing

@testable import Configuration

@Suite struct ConnectionSettingsTests {
    let layout = InstallLayout(isInstalled: false, executableDir: "/src/.build/debug")

    @Test func connectionCapsComeFromFileEnvironmentAndFlags() throws {
        let defaults = try SettingsLoader.load(
            environment: [:], layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(defaults.maxConnections == nil)
        #expect(defaults.maxPendingConnectionsPerIP == 64)
        #expect(defaults.maxPendingConnections == 512)
        let set = try SettingsLoader.load(
            flags: ["max_connections": "500"],
            environment: [
                "FITCHAT_MAX_CONNECTIONS": "700", "FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP": "8",
                "FITCHAT_MAX_PENDING_CONNECTIONS": "40",
            ],
            layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(set.maxConnections == 500 && set.effectiveMaxConnections == 500)
        #expect(set.maxPendingConnectionsPerIP == 8)
        #expect(set.maxPendingConnections == 40)
        #expect(throws: SettingsError.self) {
            try SettingsLoader.load(
                environment: ["FITCHAT_MAX_CONNECTIONS": "0"], layout: layout,
                defaultConfigFile: "/nonexistent/fitchat-test/no.conf")
        }
        let auto = try SettingsLoader.load(
            environment: ["FITCHAT_MAX_CONNECTIONS": "auto"], layout: layout,
            defaultConfigFile: "/nonexistent/fitchat-test/no.conf")
        #expect(auto.maxConnections == nil)
    }

    @Test func theIdleTimeoutAndTheListenBacklogAreSettings() throws {
        let defaults = try SettingsLoader.load(
            environment: [:], layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(defaults.idleTimeout == 75)
        #expect(defaults.listenBacklog == 1024)
        let set = try SettingsLoader.load(
            environment: ["FITCHAT_IDLE_TIMEOUT": "120", "FITCHAT_LISTEN_BACKLOG": "4096"], layout: layout,
            defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(set.idleTimeout == 120)
        #expect(set.listenBacklog == 4096)
        // Under 30 s a quiet WebSocket (a pong every 25 s) would be cut off.
        for (key, bad) in [
            ("FITCHAT_IDLE_TIMEOUT", "29"), ("FITCHAT_IDLE_TIMEOUT", "never"), ("FITCHAT_LISTEN_BACKLOG", "0"),
            ("FITCHAT_LISTEN_BACKLOG", "1e9"), ("FITCHAT_LISTEN_BACKLOG", "lots"),
        ] {
            #expect(throws: SettingsError.self, "\(key)=\(bad)") {
                try SettingsLoader.load(
                    environment: [key: bad], layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
            }
        }
    }

    @Test func theHeaderTimeoutIsASettingInSeconds() throws {
        let defaults = try SettingsLoader.load(
            environment: [:], layout: layout, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(defaults.headerTimeout == 10)
        let set = try SettingsLoader.load(
            environment: ["FITCHAT_HEADER_TIMEOUT": "2.5"], layout: layout,
            defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(set.headerTimeout == 2.5)
        for bad in ["0", "-1", "soon", "100000"] {
            #expect(throws: SettingsError.self) {
                try SettingsLoader.load(
                    environment: ["FITCHAT_HEADER_TIMEOUT": bad], layout: layout,
                    defaultConfigFile: "/nonexistent/fitchat.conf")
            }
        }
    }

    @Test func theDefaultCapLeavesDescriptorsForEverythingElse() {
        #expect(Settings.defaultMaxConnections(fileLimit: 256) == 192)
        #expect(Settings.defaultMaxConnections(fileLimit: 1024) == 922)
        #expect(Settings.defaultMaxConnections(fileLimit: 65536) == 58983)
        #expect(Settings.defaultMaxConnections(fileLimit: 50) == 16)
        #expect(Settings.currentFileLimit() > 0)
    }
}
