import ChatModel
import Testing

@Suite struct NameFoldingTests {
    @Test(arguments: [("ALICE", "alice"), ("Alice", "alice"), ("ａｌｉｃｅ", "alice"), ("STRASSE", "straße"), ("ﬁt", "FIT")])
    func foldedAlike(a: String, b: String) {
        #expect(Names.folded(a) == Names.folded(b))
    }

    @Test func differentNamesStayDifferent() {
        #expect(Names.folded("alice") != Names.folded("alicia"))
        #expect(Names.folded("ann.b") != Names.folded("ann_b"))
    }

    @Test func aDisplayNameMayNotPassForAnotherUsersName() {
        let taken: Set<String> = ["admin", "alice"]
        let isUser = { (key: String) in taken.contains(key) }
        #expect(Names.displayNameImpersonates("admin", ownName: "mallory", isUserName: isUser))
        #expect(Names.displayNameImpersonates(" ADMIN ", ownName: "mallory", isUserName: isUser))
        #expect(Names.displayNameImpersonates("ａｄｍｉｎ", ownName: "mallory", isUserName: isUser))
        #expect(!Names.displayNameImpersonates("Admin Helper", ownName: "mallory", isUserName: isUser))
        // Its own name, in any case, is fine.
        #expect(!Names.displayNameImpersonates("Alice", ownName: "alice", isUserName: isUser))
    }
}

@Suite struct SafeTextTests {
    @Test func controlCharactersAndBidiOverridesBecomeVisible() {
        #expect(SafeText.escaped("ann\nforged line") == "ann\\nforged line")
        #expect(SafeText.escaped("a\r\tb\u{1B}[31m") == "a\\r\\tb\\u{1b}[31m")
        #expect(SafeText.escaped("evil\u{202E}gnp.exe") == "evil\\u{202e}gnp.exe")
        #expect(SafeText.escaped("\u{2066}x\u{2069}\u{200F}\u{85}") == "\\u{2066}x\\u{2069}\\u{200f}\\u{85}")
        #expect(SafeText.escaped(#"back\slash"#) == #"back\\slash"#)
        #expect(SafeText.escaped("Maria Kühn 💪") == "Maria Kühn 💪")
    }

    @Test func logValuesAreCut() {
        let huge = String(repeating: "a", count: 900_000)
        let logged = SafeText.forLog(huge)
        #expect(logged == String(repeating: "a", count: 64) + "…")
        #expect(SafeText.forLog("short") == "short")
    }
}

@Suite struct LoginThrottleTests {
    let second: Micros = 1_000_000

    @Test func othersSpendingTheAccountDoNotLockItsOwnerOut() {
        var throttle = LoginThrottle()
        var now: Micros = 0
        // An attacker spends the per-account count (10) from two addresses (5 each, their pair limit).
        for address in ["10.0.0.1", "10.0.0.2"] {
            for _ in 0..<5 {
                now += 1000
                #expect(throttle.admit(account: "ann", address: address, now: now) == .allowed)
                throttle.failed(account: "ann", address: address, now: now)
            }
            #expect(throttle.admit(account: "ann", address: address, now: now) != .allowed)
        }
        // The owner, elsewhere, still gets a try: the slow lane.
        #expect(throttle.admit(account: "ann", address: "192.168.1.7", now: now) == .allowed)
        // …but only one per 30 s while the account is hot.
        guard case .throttled(let wait) = throttle.admit(account: "ann", address: "192.168.1.7", now: now + 1000) else {
            Issue.record("the slow lane let a second attempt through at once")
            return
        }
        #expect((25...30).contains(wait))
        #expect(throttle.admit(account: "ann", address: "192.168.1.7", now: now + 31 * second) == .allowed)
    }

    @Test func failuresCountPerAccountAndAddress() {
        var throttle = LoginThrottle()
        for i in 0..<5 { throttle.failed(account: "ann", address: "10.0.0.1", now: Micros(i)) }
        #expect(throttle.admit(account: "ann", address: "10.0.0.1", now: 10) != .allowed)
        // Another account from the same address, and the same account from elsewhere, go on.
        #expect(throttle.admit(account: "bob", address: "10.0.0.1", now: 10) == .allowed)
        #expect(throttle.admit(account: "ann", address: "10.0.0.2", now: 10) == .allowed)
    }

    @Test func failuresCountPerAddress() {
        var throttle = LoginThrottle()
        for i in 0..<30 { throttle.failed(account: "user\(i)", address: "10.0.0.1", now: Micros(i)) }
        guard case .throttled(let wait) = throttle.admit(account: "fresh", address: "10.0.0.1", now: 100) else {
            Issue.record("30 failures from one address did not throttle it")
            return
        }
        #expect(wait >= 1)
        #expect(throttle.admit(account: "fresh", address: "10.0.0.9", now: 100) == .allowed)
    }
}
