import Foundation
import Testing

@testable import FitchatCore

@Suite struct SettingsTests {
    let sourceTree = InstallLayout(isInstalled: false, executableDir: "/src/.build/debug")
    let installed = InstallLayout(isInstalled: true, executableDir: "/usr/bin")

    func writeConfig(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-\(UUID().uuidString).conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsFollowTheLayout() throws {
        let dev = try SettingsLoader.load(environment: [:], layout: sourceTree, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(dev.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(dev.dataDir == "var")
        #expect(dev.controlSocketPath == "var/control.sock")
        let prod = Settings(layout: installed)
        #expect(prod.dataDir == "/var/lib/fitchat")
        #expect(prod.controlSocketPath == "/run/fitchat/control.sock")
    }

    @Test func flagsBeatEnvironmentBeatsFileBeatsDefaults() throws {
        let file = try writeConfig("""
            # a comment
            listen = 0.0.0.0:9000
            data_dir = /srv/from-file
            message_rate = 2
            open_registration = yes
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let settings = try SettingsLoader.load(
            flags: ["listen": "127.0.0.1:7000"],
            configFile: file,
            environment: ["FITCHAT_LISTEN": "127.0.0.1:8000", "FITCHAT_DATA_DIR": "/srv/from-env"],
            layout: sourceTree)
        #expect(settings.listen.port == 7000)
        #expect(settings.dataDir == "/srv/from-env")
        #expect(settings.messageRate == 2)
        #expect(settings.openRegistration)
        #expect(settings.configFile == file)
    }

    @Test func systemdDirectoriesAreUsedWhenGiven() throws {
        let settings = try SettingsLoader.load(
            environment: ["STATE_DIRECTORY": "/var/lib/fitchat", "RUNTIME_DIRECTORY": "/run/fitchat"], layout: sourceTree,
            defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(settings.dataDir == "/var/lib/fitchat")
        #expect(settings.controlSocketPath == "/run/fitchat/control.sock")
    }

    @Test(arguments: [
        ("listen = nowhere", "invalid listen"),
        ("message_rate = fast", "invalid message_rate"),
        ("colour = red", "unknown setting 'colour'"),
        ("just words", "expected 'key = value'"),
        ("allowed_origins = example.com", "must start with http"),
    ])
    func mistakesNameTheLineAndTheKey(line: String, expected: String) throws {
        let file = try writeConfig("\n\(line)\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: ConfigError.self) {
            try SettingsLoader.load(configFile: file, environment: [:], layout: sourceTree)
        }
        #expect(error?.description.contains(expected) == true)
        #expect(error?.description.contains("\(file):2") == true)
    }

    @Test func aMissingExplicitConfigFileIsAnError() {
        #expect(throws: ConfigError.self) {
            try SettingsLoader.load(configFile: "/nonexistent/fitchat.conf", environment: [:], layout: sourceTree)
        }
    }

    @Test(arguments: [
        ("127.0.0.1:8080", ListenAddress(host: "127.0.0.1", port: 8080)),
        (":80", ListenAddress(host: "0.0.0.0", port: 80)),
        ("[::1]:8443", ListenAddress(host: "::1", port: 8443)),
    ])
    func listenAddressesParse(text: String, expected: ListenAddress) {
        #expect(ListenAddress.parse(text) == expected)
    }

    @Test(arguments: ["8080", "host:", "host:99999", "::1:80", "[::1]80"])
    func badListenAddressesDoNot(text: String) {
        #expect(ListenAddress.parse(text) == nil)
    }
}
