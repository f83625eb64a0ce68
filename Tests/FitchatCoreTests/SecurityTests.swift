import ChatModel
import Foundation
import HTTPServer
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

@testable import Accounts
@testable import Administration
@testable import Configuration

@Suite struct TokenTimeTests {
    let verifier = try! HostAppTokenVerifier(secret: String(repeating: "k", count: 32))
    let now: Int64 = 1_800_000_000

    @Test func badTimesFailClosed() {
        let bad: [[String: Any]] = [
            ["sub": "maria", "exp": now + 60, "nbf": "\(now + 3600)"],
            ["sub": "maria", "exp": now + 60, "nbf": 1e300],
            ["sub": "maria", "exp": now + 60, "nbf": NSNull()],
            ["sub": "maria", "exp": now + 60, "nbf": -5],
            ["sub": "maria", "exp": 1e300],
            ["sub": "maria", "exp": "\(now + 60)"],
        ]
        for claims in bad {
            #expect(verifier.verify(verifier.sign(claims), now: now) == .failure(.claims), "\(claims)")
        }
        #expect(
            (try? verifier.verify(verifier.sign(["sub": "maria", "exp": now + 60, "nbf": now - 5]), now: now).get())
                != nil)
    }
}

@Suite struct LoginCheckTests {
    /// Records which hashes were verified, instead of running scrypt.
    final class Recorder: Sendable {
        let seen = NIOLockedValueBox<[String]>([])
        var check: LoginCheck {
            LoginCheck { [seen] password, hash in
                seen.withLockedValue { $0.append(hash) }
                return password == "right" && hash == "real-hash"
            }
        }
    }

    @Test func unknownDisabledAndPasswordlessNamesCostAPasswordCheckToo() async throws {
        let recorder = Recorder()
        let ann = User(id: 1, name: "ann", displayName: "Ann", passwordHash: "real-hash", createdAt: 0)
        var disabled = ann
        disabled.disabled = true
        var tokenOnly = ann
        tokenOnly.passwordHash = nil
        #expect(try await recorder.check.check(nil, password: "right") == nil)
        #expect(try await recorder.check.check(disabled, password: "right") == nil)
        #expect(try await recorder.check.check(tokenOnly, password: "right") == nil)
        #expect(try await recorder.check.check(ann, password: "wrong") == nil)
        #expect(try await recorder.check.check(ann, password: "right") == ann)
        #expect(
            recorder.seen.withLockedValue { $0 } == [
                LoginCheck.dummyHash, LoginCheck.dummyHash, LoginCheck.dummyHash, "real-hash", "real-hash",
            ])
    }

    @Test func theDummyHashCostsWhatARealOneCostsAndMatchesNothing() throws {
        let cost = PasswordHasher()
        #expect(LoginCheck.dummyHash.hasPrefix("$scrypt$ln=\(cost.log2N),r=\(cost.blockSize),p=\(cost.parallelism)$"))
        // It must verify (not throw as malformed, which would answer fast) and never match.
        #expect(try PasswordHasher.verify("", against: LoginCheck.dummyHash) == false)
    }
}

@Suite struct PasswordWorkTests {
    @Test func slotsThenAQueueThenRefusal() async throws {
        let work = PasswordWork(slots: 1, queueLimit: 1)
        let gate = NIOLockedValueBox(false)
        let first = Task {
            try await work.run {
                while !gate.withLockedValue({ $0 }) { usleep(1000) }
                return 1
            }
        }
        while work.counts.running < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let second = Task { try await work.run { 2 } }
        while work.counts.waiting < 1 { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: PasswordWork.Busy.self) { try await work.run { 3 } }
        gate.withLockedValue { $0 = true }
        #expect(try await first.value == 1)
        #expect(try await second.value == 2)
        #expect(work.counts.running == 0 && work.counts.waiting == 0)
        #expect(try await work.run { 4 } == 4)
    }
}

@Suite struct SecretsInLogsTests {
    @Test func printingSettingsNeverShowsTheTokenSecret() throws {
        let secret = "very-secret-token-secret-0123456789abcdef"
        let settings = try SettingsLoader.load(
            flags: ["token_secret": secret], environment: [:],
            layout: InstallLayout(isInstalled: false, executableDir: "/tmp"),
            defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(settings.tokenSecret == secret)
        var dumped = ""
        dump(settings, to: &dumped)
        for text in ["\(settings)", String(reflecting: settings), dumped, "\([settings])"] {
            #expect(!text.contains(secret), "\(text)")
        }
    }
}

@Suite struct HostPolicyTests {
    func headers(_ hosts: String...) -> HTTPHeaders { HTTPHeaders(hosts.map { ("Host", $0) }) }

    @Test(arguments: [
        "127.0.0.1:8080", "127.0.0.1", "localhost:8080", "LOCALHOST", "[::1]:8080", "[::1]", "192.168.1.20:80",
        "chat.example-gym.com", "Chat.Example-Gym.com.:443",
    ])
    func answered(host: String) {
        #expect(HostPolicy(serverNames: ["chat.example-gym.com"]).allows(headers(host)))
    }

    @Test(arguments: [
        "rebind.evil.example", "rebind.evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example",
        "999.1.1.1", "1.2.3", "chat.example-gym.com:", "chat.example-gym.com:80:80", "[::1", "", "evil@127.0.0.1",
    ])
    func refused(host: String) {
        #expect(!HostPolicy(serverNames: ["chat.example-gym.com"]).allows(headers(host)))
    }

    @Test func severalHostHeadersAreRefusedAndNoneIsNoBrowser() {
        #expect(!HostPolicy().allows(headers("127.0.0.1", "rebind.evil.example")))
        #expect(HostPolicy().allows(HTTPHeaders()))
    }

    @Test func serverNamesSetting() throws {
        let layout = InstallLayout(isInstalled: false, executableDir: "/tmp")
        let settings = try SettingsLoader.load(
            flags: ["server_names": "Chat.Example-Gym.com, fitchat.lan"], environment: [:],
            layout: layout, defaultConfigFile: "/nonexistent/fitchat-test/no.conf")
        #expect(settings.serverNames == ["chat.example-gym.com", "fitchat.lan"])
        for bad in ["https://chat.example.com", "chat.example.com:443", "a b"] {
            #expect(throws: SettingsError.self) {
                try SettingsLoader.load(
                    flags: ["server_names": bad], environment: [:], layout: layout,
                    defaultConfigFile: "/nonexistent/fitchat-test/no.conf")
            }
        }
    }
}

@Suite struct ControlMessageTests {
    @Test func memberRemovedCrossesTheControlSocketIntact() throws {
        let message = ControlMessage.memberRemoved(room: "staff", user: "ann")
        let line = try JSONEncoder().encode(message)
        #expect(String(decoding: line, as: UTF8.self).contains(#""op":"member_removed""#))
        #expect(try JSONDecoder().decode(ControlMessage.self, from: line) == message)
    }

    @Test func moderationCrossesTheControlSocketIntact() throws {
        for message in [
            ControlMessage.moderated(action: "ban", room: "general", user: "ann"),
            .messageDeleted(room: "general", messageID: 42),
        ] {
            let line = try JSONEncoder().encode(message)
            #expect(try JSONDecoder().decode(ControlMessage.self, from: line) == message)
        }
    }
}
