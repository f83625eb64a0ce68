import ChatModel
import Testing

@Suite struct MessageTextTests {
    @Test(arguments: [
        ("  hello  ", "hello"),
        ("line one\nline two", "line one\nline two"),
        ("tab\there", "tab\there"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("\n\t spaced \n", "spaced"),
        ("émoji 💪🏽", "émoji 💪🏽"),
    ])
    func acceptedTextIsTrimmedButOtherwiseUntouched(raw: String, stored: String) {
        #expect(MessageText.validate(raw) == .success(stored))
    }

    @Test(arguments: ["", "   ", "\n\n", "bell\u{07}", "nul\u{0}x", "esc\u{1B}[31m", "c1\u{85}x"])
    func emptyOrControlCharactersAreInvalid(raw: String) {
        #expect((try? MessageText.validate(raw).get()) == nil)
        if case .failure(let error) = MessageText.validate(raw) { #expect(error.code == .invalidMessage) }
    }

    @Test func twoThousandCharactersFitAndOneMoreDoesNot() {
        #expect(
            MessageText.validate(String(repeating: "a", count: 2000)) == .success(String(repeating: "a", count: 2000)))
        // Characters, not bytes: 2000 flexing arms are fine.
        #expect((try? MessageText.validate(String(repeating: "💪", count: 2000)).get()) != nil)
        guard case .failure(let error) = MessageText.validate(String(repeating: "a", count: 2001)) else {
            Issue.record("2001 characters accepted")
            return
        }
        #expect(error.code == .messageTooLong)
    }
}

@Suite struct RateLimiterTests {
    @Test func aBurstThenTheRefillRate() {
        var limiter = RateLimiter<Int>(burst: 20, rate: 5)
        var now: Micros = 1_000_000
        let allowed = (0..<25).filter { _ in limiter.allow(1, now: now) }.count
        #expect(allowed == 20)
        now += 200_000  // 0.2 s at 5/s = one token
        let refilled = limiter.allow(1, now: now)
        let overdrawn = limiter.allow(1, now: now)
        #expect(refilled)
        #expect(!overdrawn)
        now += 10_000_000
        #expect((0..<30).filter { _ in limiter.allow(1, now: now) }.count == 20, "refill stops at the burst")
    }

    @Test func keysAreIndependent() {
        var limiter = RateLimiter<String>(burst: 2, rate: 1)
        let results = [
            limiter.allow("ann", now: 0), limiter.allow("ann", now: 0), limiter.allow("ann", now: 0),
            limiter.allow("bob", now: 0),
        ]
        #expect(results == [true, true, false, true])
    }

    @Test func rateZeroTurnsTheLimitOff() {
        var limiter = RateLimiter<Int>(burst: 1, rate: 0)
        #expect((0..<10_000).allSatisfy { _ in limiter.allow(1, now: 0) })
        #expect(limiter.trackedKeys == 0)
    }

    @Test func idleFullBucketsAreForgotten() {
        var limiter = RateLimiter<Int>(burst: 2, rate: 1)
        for key in 0..<100 { _ = limiter.allow(key, now: 0) }
        #expect(limiter.trackedKeys == 100)
        _ = limiter.allow(0, now: 120_000_000)
        #expect(limiter.trackedKeys == 1)
    }
}

@Suite struct TypingAndPresenceTests {
    @Test func typingExpiresFiveSecondsAfterTheLastStart() {
        var typing = TypingTracker()
        let entry = TypingTracker.Entry(room: 1, user: 7)
        let started = typing.start(entry, now: 0)
        let renewed = typing.start(entry, now: 3_000_000)
        #expect(started)
        #expect(!renewed, "a renewal is not a new start")
        let early = typing.expire(now: 7_999_999)
        let due = typing.expire(now: 8_000_000)
        #expect(early.isEmpty)
        #expect(due == [entry])
        #expect(!typing.isTyping(entry))
    }

    @Test func stopAndDisconnectEndTyping() {
        var typing = TypingTracker()
        _ = typing.start(.init(room: 1, user: 7), now: 0)
        _ = typing.start(.init(room: 2, user: 7), now: 0)
        _ = typing.start(.init(room: 2, user: 8), now: 0)
        let stops = [typing.stop(.init(room: 1, user: 7)), typing.stop(.init(room: 1, user: 7))]
        #expect(stops == [true, false])
        let cleared = typing.clear(user: 7)
        #expect(cleared == [.init(room: 2, user: 7)])
        #expect(typing.nextDeadline == 5_000_000)
    }

    @Test func onlineWhileAnyConnectionIsOpen() {
        var presence = Presence()
        let first = presence.connected(1)
        let second = presence.connected(1)
        #expect(first && !second)
        let notLast = presence.disconnected(1)
        #expect(!notLast && presence.isOnline(1))
        let last = presence.disconnected(1)
        #expect(last && !presence.isOnline(1))
        let unknown = presence.disconnected(1)
        #expect(!unknown, "an unknown disconnect changes nothing")
    }
}
