import Foundation
import Testing

@testable import Configuration

@Suite struct SettingsTests {
    let sourceTree = InstallLayout(isInstalled: false, executableDir: "/src/.build/debug")
    let installed = InstallLayout(isInstalled: true, executableDir: "/usr/bin")

    func writeConfig(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-\(UUID().uuidString).conf")
            .path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsFollowTheLayout() throws {
        let dev = try SettingsLoader.load(
            environment: [:], layout: sourceTree, defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(dev.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(dev.dataDir == "var")
        #expect(dev.controlSocketPath == "var/control.sock")
        let prod = Settings(layout: installed)
        #expect(prod.dataDir == "/var/lib/fitchat")
        #expect(prod.controlSocketPath == "/run/fitchat/control.sock")
    }

    @Test func flagsBeatEnvironmentBeatsFileBeatsDefaults() throws {
        let file = try writeConfig(
            """
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
            environment: ["STATE_DIRECTORY": "/var/lib/fitchat", "RUNTIME_DIRECTORY": "/run/fitchat"],
            layout: sourceTree,
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
        let error = #expect(throws: SettingsError.self) {
            try SettingsLoader.load(configFile: file, environment: [:], layout: sourceTree)
        }
        #expect(error?.description.contains(expected) == true)
        #expect(error?.description.contains("\(file):2") == true)
    }

    @Test func aMissingExplicitConfigFileIsAnError() {
        #expect(throws: SettingsError.self) {
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

    @Test func theInstalledLayoutComesFromTheBinaryNotArgv0() {
        // From PATH in /, argv[0] is just "fitchat"; /proc/self/exe is the real file.
        let path = InstallLayout.currentExecutablePath()
        #expect(path.hasPrefix("/") && FileManager.default.fileExists(atPath: path))
        #expect(!InstallLayout.detect().isInstalled)
        #expect(InstallLayout.detect(executablePath: "/usr/bin/fitchat").isInstalled)
        #expect(!InstallLayout.detect(executablePath: "/src/.build/release/fitchat").isInstalled)
        #expect(
            installed.defaultTokenSecretFile == "/etc/fitchat/token-secret" && sourceTree.defaultTokenSecretFile == nil)
    }

    @Test func theTokenSecretComesFromAFileOrASystemdCredential() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fitchat-cred-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let credential = (dir as NSString).appendingPathComponent("token-secret")
        try "from-the-credential-0123456789abcdef\n".write(toFile: credential, atomically: true, encoding: .utf8)
        let none = "/nonexistent/fitchat.conf"

        let fromCredential = try SettingsLoader.load(
            environment: ["CREDENTIALS_DIRECTORY": dir], layout: sourceTree, defaultConfigFile: none)
        #expect(fromCredential.tokenSecret == "from-the-credential-0123456789abcdef")
        #expect(fromCredential.tokenSecretFile == credential)

        let file = try writeConfig("  from-a-file-0123456789abcdef0123456789  \n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try SettingsLoader.load(
            environment: ["CREDENTIALS_DIRECTORY": dir, "FITCHAT_TOKEN_SECRET_FILE": file], layout: sourceTree,
            defaultConfigFile: none)
        #expect(fromFile.tokenSecret == "from-a-file-0123456789abcdef0123456789")

        let value = try SettingsLoader.load(
            environment: ["CREDENTIALS_DIRECTORY": dir, "FITCHAT_TOKEN_SECRET": "a-value-wins-0123456789abcdef012345"],
            layout: sourceTree, defaultConfigFile: none)
        #expect(value.tokenSecret == "a-value-wins-0123456789abcdef012345" && value.tokenSecretFile == nil)

        #expect(
            try SettingsLoader.load(environment: [:], layout: sourceTree, defaultConfigFile: none).tokenSecret == nil)
        #expect(throws: SettingsError.self) {
            try SettingsLoader.load(
                environment: ["FITCHAT_TOKEN_SECRET_FILE": "/nonexistent/secret"], layout: sourceTree,
                defaultConfigFile: none)
        }
    }
}
