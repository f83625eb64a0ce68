import Accounts
import ChatModel
import ChatStore
import Foundation
import NIOConcurrencyHelpers
import TestSupport
import Testing

@testable import Administration
@testable import Configuration

/// `AdminOperations` on a real store, with a recorder in place of the control socket and a cheap
/// stand-in for scrypt (the rules, not the hash, are under test here).
final class Harness: Sendable {
    let store: ChatStore
    let dir: String
    let told = NIOLockedValueBox<[ControlMessage]>([])
    let operations: AdminOperations

    init() throws {
        dir = temporaryDirectory()
        store = try ChatStore.open(directory: dir)
        let told = self.told
        operations = AdminOperations(
            store: store, notify: { message in told.withLockedValue { $0.append(message) } },
            hashPassword: { "test-hash:" + $0 })
    }

    var messages: [ControlMessage] { told.withLockedValue { $0 } }
    deinit { store.close() }
}

@Suite struct AdminOperationsTests {
    @Test func usersAreAddedSearchedChangedDisabledAndEnabled() async throws {
        let h = try Harness()
        let coach = try await h.operations.addUser(
            name: "coach", displayName: "Head Coach", role: .admin, password: "long enough")
        #expect(coach.passwordHash == "test-hash:long enough")
        _ = try await h.operations.addUser(name: "maria", displayName: nil, role: .member, password: nil)
        await #expect(throws: ChatError.self) {
            try await h.operations.addUser(name: "x", displayName: nil, role: .member, password: "short")
        }
        #expect(try h.operations.users(matching: "COACH").map(\.name) == ["coach"])
        #expect(try h.operations.users(matching: "head").map(\.name) == ["coach"])
        #expect(try h.operations.users(matching: "  ").count == 2)

        let maria = try await h.operations.setUser(name: "maria", displayName: "Maria G", role: .admin)
        #expect(maria.displayName == "Maria G" && maria.role == .admin)
        #expect(try h.store.user(named: "maria")?.role == .admin)
        try await h.operations.disableUser(name: "maria")
        #expect(try h.store.user(named: "maria")?.disabled == true)
        try await h.operations.enableUser(name: "maria")
        #expect(try h.store.user(named: "maria")?.disabled == false)
        #expect(h.messages.filter { $0 == .userChanged(name: "maria") }.count == 4)
        await #expect(throws: RepositoryError.displayNameTaken("coach")) {
            try await h.operations.setUser(name: "maria", displayName: "coach", role: nil)
        }
    }

    @Test func theLastActiveAdminStays() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "coach", displayName: nil, role: .admin, password: nil)
        await #expect(throws: AdminError.lastAdmin(name: "coach")) {
            try await h.operations.setUser(name: "coach", displayName: nil, role: .member)
        }
        await #expect(throws: AdminError.lastAdmin(name: "coach")) { try await h.operations.disableUser(name: "coach") }
        _ = try await h.operations.addUser(name: "second", displayName: nil, role: .admin, password: nil)
        try await h.operations.setUser(name: "coach", displayName: nil, role: .member)
        #expect(try h.store.user(named: "coach")?.role == .member)
        #expect(try h.operations.requireAdmin(userID: h.store.user(named: "second")!.id).name == "second")
        #expect(throws: AdminError.notAdmin) { try h.operations.requireAdmin(userID: h.store.user(named: "coach")!.id) }
    }

    @Test func anInviteIsRedeemedWithItsCodeOnly() async throws {
        let h = try Harness()
        let (invite, code) = try await h.operations.createInvite(
            uses: 1, expiresIn: .seconds(3600), role: .member, createdBy: "coach")
        #expect(OneTimeCode.isWellFormed(code) && Base64URL.decode(Substring(code))?.count == 32)
        #expect(invite.codeHash == OneTimeCode.hash(code))
        #expect(invite.expiresAt == invite.createdAt + 3_600_000_000)
        #expect(try h.operations.invite(code: code)?.id == invite.id)
        #expect(try h.operations.invite(code: "nonsense") == nil)
        #expect(try h.operations.invite(code: String(code.dropLast()) + (code.last == "A" ? "B" : "A")) == nil)
        await #expect(throws: ChatError.self) {
            try await h.operations.redeemInvite(code: code, userName: "ann", displayName: nil, password: "short")
        }
        let ann = try await h.operations.redeemInvite(
            code: code, userName: "ann", displayName: "Ann", password: "a good password")
        #expect(ann.passwordHash == "test-hash:a good password" && ann.role == .member)
        await #expect(throws: InviteError.usedUp) {
            try await h.operations.redeemInvite(
                code: code, userName: "bob", displayName: nil, password: "a good password")
        }
        await #expect(throws: AdminError.invalidInviteUses(0)) {
            try await h.operations.createInvite(uses: 0, expiresIn: nil, role: .member, createdBy: "cli")
        }
        let (second, _) = try await h.operations.createInvite(uses: nil, expiresIn: nil, role: .admin, createdBy: "cli")
        #expect(try await h.operations.revokeInvite(id: second.id).revoked)
        #expect(try h.operations.invites().map(\.id) == [invite.id, second.id])
    }

    /// Many people racing for the last use through the same path as the join page.
    @Test func concurrentJoinsOfTheLastUseMakeOneAccount() async throws {
        let h = try Harness()
        let (_, code) = try await h.operations.createInvite(uses: 1, expiresIn: nil, role: .member, createdBy: "cli")
        let operations = h.operations
        let made = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<32 {
                group.addTask {
                    (try? await operations.redeemInvite(
                        code: code, userName: "m\(i)", displayName: nil, password: "password\(i)")) != nil
                }
            }
            var made = 0
            for await ok in group where ok { made += 1 }
            return made
        }
        #expect(made == 1)
        #expect(try h.store.allUsers().count == 1)
    }

    @Test func aSignInLinkResetsThePasswordAndEndsSessions() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "maria", displayName: nil, role: .member, password: nil)
        let token = try await h.operations.issueToken(userName: "maria", create: false)
        let (link, code) = try await h.operations.signInLink(forUser: "maria")
        #expect(link.expiresAt - link.createdAt == 7 * 24 * 3600 * 1_000_000)
        #expect(try h.operations.signInLink(code: code)?.state(at: h.store.currentTime) == .valid)
        let user = try await h.operations.redeemSignInLink(code: code, password: "new password")
        #expect(user.passwordHash == "test-hash:new password")
        #expect(try h.store.session(tokenHash: SessionTokens.hash(token)) == nil)
        #expect(h.messages.last == .sessionsRevoked(name: "maria"))
        await #expect(throws: SignInLinkError.used) {
            try await h.operations.redeemSignInLink(code: code, password: "another one")
        }
        await #expect(throws: SignInLinkError.unknown) {
            try await h.operations.redeemSignInLink(code: "x", password: "another one")
        }
        try await h.operations.disableUser(name: "maria")
        await #expect(throws: AdminError.userDisabled(name: "maria")) {
            try await h.operations.signInLink(forUser: "maria")
        }
    }

    /// Only the SHA-256 of a code is stored: the file holds neither the code's text nor its bytes.
    @Test func codesAreHashedAtRest() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "maria", displayName: nil, role: .member, password: nil)
        let (_, invite) = try await h.operations.createInvite(
            uses: nil, expiresIn: nil, role: .member, createdBy: "cli")
        let (_, link) = try await h.operations.signInLink(forUser: "maria")
        h.store.close()
        let file = try Data(contentsOf: URL(fileURLWithPath: h.dir + "/data.mdb"))
        for code in [invite, link] {
            #expect(file.range(of: Data(code.utf8)) == nil)
            #expect(file.range(of: Base64URL.decode(Substring(code))!) == nil)
            #expect(file.range(of: Data(OneTimeCode.hash(code))) != nil)
        }
    }

    @Test func roomsAndNotices() async throws {
        let h = try Harness()
        await #expect(throws: AdminError.noAdmin) {
            try await h.operations.postNotice(room: "general", text: "Closed Monday")
        }
        _ = try await h.operations.addUser(name: "coach", displayName: nil, role: .admin, password: nil)
        let notice = try await h.operations.postNotice(room: "general", text: "  Closed Monday ")
        #expect(notice.type == .system && notice.text == "Closed Monday")
        #expect(h.messages.last == .notice(room: "general", messageID: notice.id))
        await #expect(throws: ChatError.self) { try await h.operations.postNotice(room: "general", text: "   ") }

        try await h.operations.archiveRoom(name: "nutrition")
        await #expect(throws: AdminError.roomArchived(name: "nutrition")) {
            try await h.operations.postNotice(room: "nutrition", text: "hi")
        }
        #expect(try await h.operations.unarchiveRoom(name: "nutrition").isActive)
        await #expect(throws: AdminError.descriptionUnsafe) {
            try await h.operations.setRoomDescription(name: "nutrition", description: "a\u{202E}b")
        }
        #expect(
            try await h.operations.setRoomDescription(name: "nutrition", description: "Meals").description == "Meals")
        _ = try await h.operations.addRoom(name: "staff", description: "Staff only", isPrivate: true)
        #expect(try await h.operations.addMember(room: "staff", user: "coach"))
        #expect(try h.operations.members(room: "staff").map(\.name) == ["coach"])
        #expect(try await h.operations.removeMember(room: "staff", user: "coach"))
        #expect(try h.operations.members(room: "staff").isEmpty)
        #expect(h.messages.contains(.memberRemoved(room: "staff", user: "coach")))

        let status = try h.operations.status()
        #expect(
            status.users == 1 && status.rooms == 5 && status.messages == 3
                && status.schemaVersion == ChatStore.schemaVersion)
        #expect(status.lastBackupAt == nil && status.storeBytes > 0)
        try await h.store.recordBackup()
        #expect(try h.operations.status().lastBackupAt != nil)
    }

    /// `dm-` names are the direct rooms': an admin cannot make one, nor add a third person to one.
    @Test func directRoomsAreReservedAndClosed() async throws {
        let h = try Harness()
        await #expect(throws: AdminError.reservedRoomName(name: "dm-1-2")) {
            try await h.operations.addRoom(name: "dm-1-2", description: "Looks direct", isPrivate: true)
        }
        #expect(try await h.operations.addRoom(name: "dmz", description: "Fine", isPrivate: false).kind == .public)
        let ann = try await h.operations.addUser(name: "ann", displayName: nil, role: .member, password: nil)
        let bob = try await h.operations.addUser(name: "bob", displayName: nil, role: .member, password: nil)
        _ = try await h.operations.addUser(name: "eve", displayName: nil, role: .member, password: nil)
        let room = try await h.store.openDirectRoom(DirectPair(ann.id, bob.id)).room
        await #expect(throws: AdminError.directRoom(name: room.name)) {
            try await h.operations.addMember(room: room.name, user: "eve")
        }
        #expect(try h.operations.members(room: room.name).map(\.name) == ["ann", "bob"])
    }

    @Test func lifetimesAndLinks() throws {
        #expect(try Lifetime.parse("7d") == .seconds(7 * 86_400))
        #expect(try Lifetime.parse("12h") == .seconds(12 * 3600))
        #expect(try Lifetime.parse("30m") == .seconds(1800))
        #expect(try Lifetime.parse("never") == nil)
        for bad in ["", "7", "d", "-1d", "0h", "7w", "1.5d", "999999999d"] {
            #expect(throws: AdminError.invalidLifetimeText(bad)) { try Lifetime.parse(bad) }
        }
        var settings = Settings(layout: InstallLayout(isInstalled: false, executableDir: "/src/.build/debug"))
        #expect(settings.link(path: "/join/abc") == "http://127.0.0.1:8080/join/abc")
        settings.listen = ListenAddress(host: "::1", port: 9090)
        #expect(settings.link(path: "join/abc") == "http://[::1]:9090/join/abc")
        try SettingsLoader.apply(flag: "public_url", value: "https://chat.example-gym.com", to: &settings)
        #expect(settings.link(path: "/welcome/xyz") == "https://chat.example-gym.com/welcome/xyz")
        try SettingsLoader.apply(flag: "public_url", value: "https://example.org/chat/", to: &settings)
        #expect(settings.link(path: "/join/a") == "https://example.org/chat/join/a")
        for bad in ["chat.example", "ftp://x", "https://x/?q=1", "https://"] {
            #expect(throws: SettingsError.self) {
                try SettingsLoader.apply(flag: "public_url", value: bad, to: &settings)
            }
        }
        let fromEnvironment = try SettingsLoader.load(
            environment: ["FITCHAT_PUBLIC_URL": "https://gym.example/"],
            layout: InstallLayout(isInstalled: false, executableDir: "/src/.build/debug"),
            defaultConfigFile: "/nonexistent/fitchat.conf")
        #expect(fromEnvironment.publicURL == "https://gym.example/")
    }

    @Test func theNoticeControlMessageRoundTrips() throws {
        let message = ControlMessage.notice(room: "general", messageID: 42)
        let data = try JSONEncoder().encode(message)
        #expect(String(decoding: data, as: UTF8.self).contains("\"op\":\"notice\""))
        #expect(try JSONDecoder().decode(ControlMessage.self, from: data) == message)
    }

    /// Two admins demote each other at the same moment: the check and the change run in one
    /// write transaction, so exactly one of each pair succeeds and an active admin always remains.
    @Test func twoAdminsDemotingEachOtherAtOnceLeaveOne() async throws {
        let h = try Harness()
        for name in ["ann", "bob"] {
            _ = try await h.operations.addUser(name: name, displayName: nil, role: .admin, password: nil)
        }
        for round in 0..<50 {
            let disable = round % 2 == 1
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for name in ["ann", "bob"] {
                    group.addTask {
                        do {
                            if disable {
                                try await h.operations.disableUser(name: name)
                            } else {
                                try await h.operations.setUser(name: name, displayName: nil, role: .member)
                            }
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
            let active = try h.operations.users().filter { $0.role == .admin && !$0.disabled }
            #expect(active.count == 1, "round \(round)")
            for name in ["ann", "bob"] {
                try await h.operations.enableUser(name: name)
                try await h.operations.setUser(name: name, displayName: nil, role: .admin)
            }
        }
    }

    /// A disable and a rename at once: neither undoes the other.
    @Test func aConcurrentRenameNeverUndoesADisable() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "coach", displayName: nil, role: .admin, password: nil)
        _ = try await h.operations.addUser(name: "maria", displayName: nil, role: .member, password: nil)
        for round in 0..<50 {
            let name = "Maria \(round)"
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await h.operations.disableUser(name: "maria") }
                group.addTask { try await h.operations.setUser(name: "maria", displayName: name, role: nil) }
                group.addTask { try await h.operations.linkHostApp(name: "maria", linked: round % 2 == 0) }
                try await group.waitForAll()
            }
            let maria = try #require(try h.operations.user(named: "maria"))
            #expect(maria.disabled && maria.displayName == name && maria.hostApp == (round % 2 == 0), "round \(round)")
            try await h.operations.enableUser(name: "maria")
        }
    }

    /// Only the newest sign-in link works, and none survives a redeemed link, a password set
    /// by an admin, or a disable (enabling the user again does not revive them).
    @Test func oldSignInLinksStopWorking() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "maria", displayName: nil, role: .member, password: nil)
        func refused(_ code: String) async -> Bool {
            do {
                _ = try await h.operations.redeemSignInLink(code: code, password: "a long password")
                return false
            } catch { return error as? SignInLinkError == .used }
        }

        // A newer link supersedes an older one.
        let (_, first) = try await h.operations.signInLink(forUser: "maria")
        let (_, second) = try await h.operations.signInLink(forUser: "maria")
        #expect(await refused(first))
        // Using the newer one leaves no link of hers alive.
        _ = try await h.operations.redeemSignInLink(code: second, password: "a long password")
        #expect(await refused(first))
        #expect(await refused(second))

        // Setting the password (CLI `user passwd`, the admin page's reset) ends them.
        let (_, beforePasswd) = try await h.operations.signInLink(forUser: "maria")
        try await h.operations.setPassword(name: "maria", password: "another long one")
        #expect(await refused(beforePasswd))

        // So does a disable, and enabling again does not bring them back.
        let (_, beforeDisable) = try await h.operations.signInLink(forUser: "maria")
        try await h.operations.disableUser(name: "maria")
        try await h.operations.enableUser(name: "maria")
        #expect(await refused(beforeDisable))

        // A fresh link after all that works.
        let (_, fresh) = try await h.operations.signInLink(forUser: "maria")
        _ = try await h.operations.redeemSignInLink(code: fresh, password: "a long password")
    }

    /// Only an active admin may sign a notice.
    @Test func onlyAnActiveAdminSignsANotice() async throws {
        let h = try Harness()
        _ = try await h.operations.addUser(name: "coach", displayName: nil, role: .admin, password: nil)
        _ = try await h.operations.addUser(name: "boss", displayName: nil, role: .admin, password: nil)
        _ = try await h.operations.addUser(name: "maria", displayName: nil, role: .member, password: nil)
        await #expect(throws: AdminError.notAnAdminSigner(name: "maria")) {
            try await h.operations.postNotice(room: "general", text: "Free smoothies", author: "maria")
        }
        try await h.operations.disableUser(name: "boss")
        await #expect(throws: AdminError.notAnAdminSigner(name: "boss")) {
            try await h.operations.postNotice(room: "general", text: "Closed Monday", author: "boss")
        }
        #expect(AdminError.notAnAdminSigner(name: "maria").description.contains("only an active admin"))
        let notice = try await h.operations.postNotice(room: "general", text: "Closed Monday", author: "coach")
        #expect(try h.store.user(id: notice.userID)?.name == "coach")
    }
}
