import ChatModel
import ChatStore
import Foundation
import LMDB
import TestSupport
import Testing

/// A clock the test moves: the store's `now` for created_at and expiry checks.
// @unchecked Sendable: `micros` is only touched under `lock`.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var micros: Micros
    init(_ start: Micros = 1_800_000_000_000_000) { micros = start }
    var now: Micros { lock.withLock { micros } }
    func advance(seconds: Int64) { lock.withLock { micros += seconds * 1_000_000 } }
}

private func makeClockedStore(_ dir: String = temporaryDirectory(), clock: TestClock, migrate: Bool = false) throws
    -> ChatStore
{
    var options = ChatStore.Options(migrate: migrate)
    options.now = { clock.now }
    return try ChatStore(directory: dir, options: options)
}

/// A stand-in for the SHA-256 of a code (the store only ever sees hashes).
private func hash(_ n: UInt8) -> [UInt8] { [UInt8](repeating: n, count: 32) }

@Suite struct InviteStoreTests {
    @Test func anInviteMakesAccountsUntilItsUsesAreSpent() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        let invite = try await store.createInvite(
            codeHash: hash(1), role: .member, usesAllowed: 2, expiresIn: nil, createdBy: "coach")
        #expect(invite.id == 1 && invite.uses == 0 && invite.createdAt == clock.now && invite.createdBy == "coach")
        #expect(try store.invite(codeHash: hash(1)) == invite)
        #expect(try store.invite(codeHash: hash(2)) == nil)

        let ann = try await store.redeemInvite(codeHash: hash(1), name: "ann", displayName: "Ann", passwordHash: "h1")
        #expect(ann.role == .member && ann.passwordHash == "h1" && !ann.hostApp)
        // A refused account does not spend a use.
        await #expect(throws: RepositoryError.userExists("ann")) {
            try await store.redeemInvite(codeHash: hash(1), name: "ANN", displayName: "", passwordHash: "h")
        }
        _ = try await store.redeemInvite(codeHash: hash(1), name: "bob", displayName: "Bob", passwordHash: "h2")
        await #expect(throws: InviteError.usedUp) {
            try await store.redeemInvite(codeHash: hash(1), name: "cy", displayName: "Cy", passwordHash: "h3")
        }
        #expect(try store.invite(id: invite.id)?.uses == 2)
        #expect(try store.invite(id: invite.id)?.state(at: clock.now) == .usedUp)
        #expect(try store.user(named: "cy") == nil)
        await #expect(throws: InviteError.unknown) {
            try await store.redeemInvite(codeHash: hash(9), name: "dee", displayName: "Dee", passwordHash: "h")
        }
        #expect(try store.check() == [])
    }

    @Test func anInviteExpiresByTheStoresClock() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        let admins = try await store.createInvite(
            codeHash: hash(1), role: .admin, usesAllowed: nil, expiresIn: 3600 * 1_000_000, createdBy: "cli")
        #expect(admins.expiresAt == clock.now + 3600 * 1_000_000)
        clock.advance(seconds: 3599)
        let ann = try await store.redeemInvite(codeHash: hash(1), name: "ann", displayName: "Ann", passwordHash: "h")
        #expect(ann.role == .admin)
        clock.advance(seconds: 1)
        #expect(try store.invite(id: admins.id)?.state(at: clock.now) == .expired)
        await #expect(throws: InviteError.expired) {
            try await store.redeemInvite(codeHash: hash(1), name: "bob", displayName: "Bob", passwordHash: "h")
        }
    }

    @Test func aRevokedInviteMakesNoAccount() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        let invite = try await store.createInvite(
            codeHash: hash(1), role: .member, usesAllowed: nil, expiresIn: nil, createdBy: "cli")
        let revoked = try await store.revokeInvite(id: invite.id)
        #expect(revoked.revoked && revoked.state(at: clock.now) == .revoked)
        await #expect(throws: InviteError.revoked) {
            try await store.redeemInvite(codeHash: hash(1), name: "ann", displayName: "Ann", passwordHash: "h")
        }
        await #expect(throws: InviteError.notFound(id: 42)) { try await store.revokeInvite(id: 42) }
        #expect(try store.allInvites() == [revoked])
        #expect(try store.allUsers().isEmpty)
    }

    /// The use is checked and counted in the transaction that creates the user: many people
    /// racing for the last use of an invite make exactly one account.
    @Test func concurrentRedeemersOfTheLastUseMakeExactlyOneAccount() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        _ = try await store.createInvite(
            codeHash: hash(7), role: .member, usesAllowed: 1, expiresIn: nil, createdBy: "cli")
        let results = await withTaskGroup(of: Result<User, any Error>.self) { group in
            for i in 0..<64 {
                group.addTask {
                    do {
                        return .success(
                            try await store.redeemInvite(
                                codeHash: hash(7), name: "member\(i)", displayName: "", passwordHash: "h"))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<User, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        let made = results.compactMap { try? $0.get() }
        #expect(made.count == 1)
        for case .failure(let error) in results { #expect(error as? InviteError == .usedUp) }
        #expect(try store.allUsers().count == 1)
        #expect(try store.invite(codeHash: hash(7))?.uses == 1)
    }

    @Test func aSignInLinkSetsThePasswordOnceAndEndsTheOtherSessions() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        try await store.createSession(
            Session(tokenHash: hash(50), userID: ann.id, expiresAt: clock.now + 1_000_000_000))
        let link = try await store.createSignInLink(codeHash: hash(3), user: ann.id, lifetime: 60_000_000)
        #expect(try store.signInLink(codeHash: hash(3)) == link)
        #expect(link.state(at: clock.now) == .valid)

        let updated = try await store.redeemSignInLink(codeHash: hash(3), passwordHash: "new-hash")
        #expect(updated.passwordHash == "new-hash")
        #expect(try store.user(id: ann.id)?.passwordHash == "new-hash")
        #expect(try store.session(tokenHash: hash(50)) == nil)
        #expect(try store.signInLink(codeHash: hash(3))?.usedAt == clock.now)
        await #expect(throws: SignInLinkError.used) {
            try await store.redeemSignInLink(codeHash: hash(3), passwordHash: "again")
        }
        #expect(try store.user(id: ann.id)?.passwordHash == "new-hash")
        await #expect(throws: SignInLinkError.unknown) {
            try await store.redeemSignInLink(codeHash: hash(4), passwordHash: "x")
        }
        await #expect(throws: RepositoryError.userNotFound("#99")) {
            try await store.createSignInLink(codeHash: hash(5), user: 99, lifetime: 1)
        }
        #expect(try store.check() == [])
    }

    @Test func aSignInLinkWorksOnceEvenUnderConcurrentUse() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        _ = try await store.createSignInLink(codeHash: hash(3), user: ann.id, lifetime: 60_000_000)
        let winners = await withTaskGroup(of: String?.self) { group in
            for i in 0..<32 {
                group.addTask {
                    (try? await store.redeemSignInLink(codeHash: hash(3), passwordHash: "hash-\(i)"))?.passwordHash
                }
            }
            var winners: [String] = []
            for await winner in group { if let winner { winners.append(winner) } }
            return winners
        }
        #expect(winners.count == 1)
        #expect(try store.user(id: ann.id)?.passwordHash == winners.first)
    }

    @Test func aSignInLinkExpiresAndDoesNotWorkForADisabledUser() async throws {
        let clock = TestClock()
        let store = try makeClockedStore(clock: clock)
        defer { store.close() }
        var ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: "old")
        _ = try await store.createSignInLink(codeHash: hash(1), user: ann.id, lifetime: 60_000_000)
        clock.advance(seconds: 60)
        await #expect(throws: SignInLinkError.expired) {
            try await store.redeemSignInLink(codeHash: hash(1), passwordHash: "new")
        }
        // A newer link leaves the expired one expired (not "used").
        _ = try await store.createSignInLink(codeHash: hash(2), user: ann.id, lifetime: 60_000_000)
        #expect(try store.signInLink(codeHash: hash(1))?.state(at: store.currentTime) == .expired)
        ann.disabled = true
        try await store.updateUser(ann)
        await #expect(throws: SignInLinkError.userDisabled) {
            try await store.redeemSignInLink(codeHash: hash(2), passwordHash: "new")
        }
        #expect(try store.user(id: ann.id)?.passwordHash == "old")
        #expect(try store.signInLink(codeHash: hash(2))?.usedAt == nil)
    }

    @Test func theLastBackupTimeIsKept() async throws {
        let clock = TestClock()
        let dir = temporaryDirectory()
        var store = try makeClockedStore(dir, clock: clock)
        #expect(try store.lastBackupAt() == nil)
        try await store.recordBackup()
        store.close()
        store = try makeClockedStore(dir, clock: clock)
        defer { store.close() }
        #expect(try store.lastBackupAt() == clock.now)
    }

    @Test func roomsCanBeUnarchivedAndRedescribed() async throws {
        let store = try makeClockedStore(clock: TestClock())
        defer { store.close() }
        _ = try await store.archiveRoom(named: "nutrition")
        #expect(try store.room(named: "nutrition")?.isActive == false)
        #expect(try await store.setRoomActive(named: "nutrition", true).isActive)
        #expect(try await store.setRoomDescription(named: "nutrition", description: "Meals").description == "Meals")
        #expect(try store.room(named: "nutrition")?.description == "Meals")
        await #expect(throws: RepositoryError.roomNotFound("nope")) {
            try await store.setRoomActive(named: "nope", true)
        }
        let counts = try store.counts()
        #expect(counts.rooms == 4 && counts.users == 0 && counts.messages == 0)
    }

    @Test func checkFindsABrokenInviteOrSignInLinkIndex() async throws {
        let clock = TestClock()
        let dir = temporaryDirectory()
        var store = try makeClockedStore(dir, clock: clock)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: nil)
        _ = try await store.createInvite(
            codeHash: hash(1), role: .member, usesAllowed: nil, expiresIn: nil, createdBy: "cli")
        _ = try await store.createSignInLink(codeHash: hash(2), user: ann.id, lifetime: 1_000_000)
        #expect(try store.check() == [])
        store.close()

        let environment = try rawEnvironment(dir)
        let byHash = try environment.database(named: "invites_by_hash", create: false, as: (Bytes.self, Bytes.self))
        let linksByHash = try environment.database(
            named: "signin_links_by_hash", create: false, as: (Bytes.self, Bytes.self))
        try environment.write { txn in
            // The invite loses its index entry; a stray entry points at an invite that does not exist.
            _ = try txn.delete(byHash, Bytes(hash(1)))
            try txn.put(byHash, Bytes(hash(9)), Bytes(UInt64(77).encoded))
            _ = try txn.delete(linksByHash, Bytes(hash(2)))
        }
        environment.close()

        store = try makeClockedStore(dir, clock: clock)
        defer { store.close() }
        let problems = try store.check()
        #expect(problems.contains("invite 1 is missing from invites_by_hash"), "\(problems)")
        #expect(problems.contains("invites_by_hash points at missing or different invite 77"), "\(problems)")
        #expect(problems.contains("sign-in link 1 is missing from signin_links_by_hash"), "\(problems)")
        // A lost index entry means the code no longer works, rather than working for the wrong record.
        #expect(try store.invite(codeHash: hash(1)) == nil)
    }
}

@Suite struct SchemaFourMigrationTests {
    @Test func aSchemaThreeStoreIsRefusedUntilMigratedThenKeepsEverything() async throws {
        let clock = TestClock()
        let original = temporaryDirectory()
        var store = try makeClockedStore(original, clock: clock)
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .admin, passwordHash: "h")
        let general = try store.room(named: "general")!
        _ = try await store.join(room: general.id, user: ann.id)
        let sent = try await store.append(NewMessage(roomID: general.id, userID: ann.id, text: "kept"))
        store.close()

        let dir = try schemaThreeCopy(of: original)
        let environment = try rawEnvironment(dir)
        #expect(throws: (any Error).self, "the copy must look like schema 3") {
            try environment.database(named: "invites", create: false, as: (Bytes.self, Bytes.self))
        }
        environment.close()

        #expect(throws: ChatStoreError.needsMigration(found: 3, supported: ChatStore.schemaVersion)) {
            try makeClockedStore(dir, clock: clock)
        }
        #expect(throws: ChatStoreError.needsMigration(found: 3, supported: ChatStore.schemaVersion)) {
            try ChatStore.open(directory: dir, readOnly: true)
        }
        store = try makeClockedStore(dir, clock: clock, migrate: true)
        defer { store.close() }
        #expect(try store.status().schemaVersion == ChatStore.schemaVersion)
        #expect(try store.user(named: "ann") == ann)
        #expect(try store.message(id: sent.id) == sent)
        #expect(try store.allInvites().isEmpty)
        #expect(try store.check() == [])
        let invite = try await store.createInvite(
            codeHash: hash(1), role: .member, usesAllowed: 1, expiresIn: nil, createdBy: "cli")
        #expect(invite.id == 1)
        _ = try await store.redeemInvite(codeHash: hash(1), name: "bob", displayName: "Bob", passwordHash: "h")
        #expect(try store.check() == [])
    }
}
