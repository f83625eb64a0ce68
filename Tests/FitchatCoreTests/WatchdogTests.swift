import Testing

@testable import FitchatDaemon

@Suite struct WatchdogTests {
    /// A check that never completes (like `submit` on a blocked event loop) must still fail the
    /// probe at its deadline; the probe must not wait for the hung check.
    @Test func aHungCheckFailsAtTheDeadline() async {
        let started = ContinuousClock.now
        let answered = await Watchdog.answers(
            {
                // Never resumed and deaf to cancellation: the shape of a hung event loop's future.
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            }, within: .milliseconds(200))
        #expect(!answered)
        // Generous: the machine may be loaded; the old probe never returned at all.
        #expect(ContinuousClock.now - started < .seconds(30), "the probe waited for the hung check")
    }

    @Test func aPromptCheckPasses() async {
        #expect(await Watchdog.answers({ try await Task.sleep(for: .milliseconds(10)) }, within: .seconds(5)))
    }

    @Test func aFailingCheckFails() async {
        struct Broken: Error {}
        #expect(!(await Watchdog.answers({ throw Broken() }, within: .seconds(5))))
    }
}

@Suite struct WatchdogRaceTests {
    /// A check that answers must pass every time: the deadline's timer, cancelled when the check
    /// answers, must never be taken for a missed deadline.
    @Test func promptChecksPassEveryTime() async {
        for _ in 0..<200 {
            #expect(await Watchdog.answers({}, within: .seconds(10)))
        }
    }
}
