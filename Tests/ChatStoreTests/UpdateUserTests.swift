import ChatModel
import ChatStore
import Foundation
import TestSupport
import Testing

private struct NoAdminLeft: Error, Equatable { var name: String }

/// `updateUser(named:…)`: read, change and the last-admin check in one write transaction.
@Suite struct UpdateUserTests {
    @Test func aChangeThatLeavesNoActiveAdminIsRefusedAndNothingIsStored() async throws {
        let store = try makeStore()
        defer { store.close() }
        _ = try await store.createUser(name: "coach", displayName: "Coach", role: .admin, passwordHash: "h")
        let refuse: @Sendable (User) -> any Error = { NoAdminLeft(name: $0.name) }
        await #expect(throws: NoAdminLeft(name: "coach")) {
            try await store.updateUser(named: "coach", noAdminLeft: refuse) {
                $0.role = .member
                $0.displayName = "Not stored"
            }
        }
        await #expect(throws: NoAdminLeft(name: "coach")) {
            try await store.updateUser(named: "COACH", noAdminLeft: refuse) { $0.disabled = true }
        }
        #expect(try store.user(named: "coach")?.displayName == "Coach")
        _ = try await store.createUser(name: "boss", displayName: "Boss", role: .admin, passwordHash: "h")
        let coach = try await store.updateUser(named: "coach", noAdminLeft: refuse) { $0.role = .member }
        #expect(coach.role == .member && coach.name == "coach")
        await #expect(throws: RepositoryError.userNotFound("ghost")) {
            try await store.updateUser(named: "ghost", noAdminLeft: refuse) { $0.disabled = true }
        }
    }

    /// Two admins demote each other concurrently: exactly one succeeds, one admin remains.
    @Test func concurrentDemotionsLeaveAnAdmin() async throws {
        let store = try makeStore()
        defer { store.close() }
        for name in ["ann", "bob"] {
            _ = try await store.createUser(name: name, displayName: name, role: .admin, passwordHash: "h")
        }
        let refuse: @Sendable (User) -> any Error = { NoAdminLeft(name: $0.name) }
        for round in 0..<50 {
            let successes = await withTaskGroup(of: Int.self) { group in
                for name in ["ann", "bob"] {
                    group.addTask {
                        (try? await store.updateUser(named: name, noAdminLeft: refuse) { $0.role = .member }) == nil
                            ? 0 : 1
                    }
                }
                return await group.reduce(0, +)
            }
            #expect(successes == 1, "round \(round)")
            #expect(try store.allUsers().filter { $0.role == .admin && !$0.disabled }.count == 1, "round \(round)")
            for name in ["ann", "bob"] {
                try await store.updateUser(named: name, noAdminLeft: refuse) { $0.role = .admin }
            }
        }
    }

    @Test func effectsEndSessionsAndSignInLinks() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: "h")
        try await store.createSession(
            Session(tokenHash: Array(repeating: 1, count: 32), userID: ann.id, expiresAt: .max))
        let link = try await store.createSignInLink(
            codeHash: Array(repeating: 2, count: 32), user: ann.id, lifetime: 1_000_000_000)
        let refuse: @Sendable (User) -> any Error = { NoAdminLeft(name: $0.name) }
        try await store.updateUser(named: "ann", noAdminLeft: refuse) { $0.displayName = "Ann B" }
        #expect(try store.signInLink(codeHash: link.codeHash)?.usedAt == nil)
        #expect(try store.session(tokenHash: Array(repeating: 1, count: 32)) != nil)
        try await store.updateUser(named: "ann", effects: [.endSessions, .revokeSignInLinks], noAdminLeft: refuse) {
            $0.disabled = true
        }
        #expect(try store.signInLink(codeHash: link.codeHash)?.usedAt != nil)
        #expect(try store.session(tokenHash: Array(repeating: 1, count: 32)) == nil)
    }

    /// A new link ends the user's earlier unused ones; other users' links stay.
    @Test func aNewSignInLinkSupersedesTheEarlierOnes() async throws {
        let store = try makeStore()
        defer { store.close() }
        let ann = try await store.createUser(name: "ann", displayName: "Ann", role: .member, passwordHash: "h")
        let bob = try await store.createUser(name: "bob", displayName: "Bob", role: .member, passwordHash: "h")
        let old = try await store.createSignInLink(
            codeHash: Array(repeating: 1, count: 32), user: ann.id, lifetime: 1_000_000_000)
        let bobs = try await store.createSignInLink(
            codeHash: Array(repeating: 2, count: 32), user: bob.id, lifetime: 1_000_000_000)
        let new = try await store.createSignInLink(
            codeHash: Array(repeating: 3, count: 32), user: ann.id, lifetime: 1_000_000_000)
        #expect(try store.signInLink(codeHash: old.codeHash)?.usedAt != nil)
        #expect(try store.signInLink(codeHash: bobs.codeHash)?.usedAt == nil)
        _ = try await store.redeemSignInLink(codeHash: new.codeHash, passwordHash: "h2")
        #expect(try store.signInLink(codeHash: bobs.codeHash)?.usedAt == nil)
        await #expect(throws: SignInLinkError.used) {
            try await store.redeemSignInLink(codeHash: old.codeHash, passwordHash: "h3")
        }
    }
}
