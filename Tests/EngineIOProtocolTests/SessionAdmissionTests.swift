import EngineIOProtocol
import Testing

@Suite struct SessionAdmissionTests {
    @Test func halfOpenSessionsAndAllSessionsAreCappedPerAddress() {
        var admission = SessionAdmission(maxPerAddress: 3, maxHalfOpenPerAddress: 2)
        #expect(admission.open("10.0.0.1") == nil)
        #expect(admission.open("10.0.0.1") == nil)
        #expect(admission.open("10.0.0.1") == .tooManyHalfOpenSessions)
        // Another address has its own budget.
        #expect(admission.open("10.0.0.2") == nil)
        admission.admit("10.0.0.1")
        #expect(admission.counts("10.0.0.1") == .init(open: 2, halfOpen: 1))
        #expect(admission.open("10.0.0.1") == nil)
        #expect(admission.open("10.0.0.1") == .tooManySessions)
    }

    @Test func closingGivesTheRightSlotBackAndForgetsEmptyAddresses() {
        var admission = SessionAdmission(maxPerAddress: 2, maxHalfOpenPerAddress: 1)
        _ = admission.open("a")
        admission.admit("a")
        _ = admission.open("a")
        admission.close("a", wasAdmitted: true)
        #expect(admission.counts("a") == .init(open: 1, halfOpen: 1))
        admission.close("a", wasAdmitted: false)
        #expect(admission.byAddress.isEmpty)
        // Closing what was never opened changes nothing.
        admission.close("b", wasAdmitted: false)
        #expect(admission.byAddress.isEmpty)
    }
}
