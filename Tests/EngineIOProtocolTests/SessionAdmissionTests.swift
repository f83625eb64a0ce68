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

    @Test func halfOpenSessionsOfAllAddressesTogetherAreCapped() {
        var admission = SessionAdmission(maxPerAddress: 10, maxHalfOpenPerAddress: 2, maxHalfOpenInAll: 3)
        #expect(admission.open("2001:db8:0:1::/64") == nil)
        #expect(admission.open("2001:db8:0:2::/64") == nil)
        #expect(admission.open("2001:db8:0:3::/64") == nil)
        #expect(admission.open("2001:db8:0:4::/64") == .tooManyHalfOpenSessionsInAll)
        #expect(admission.halfOpenInAll == 3)
        // A sign-in (admit) or an end frees a place; an admitted session's end frees none.
        admission.admit("2001:db8:0:1::/64")
        #expect(admission.halfOpenInAll == 2)
        #expect(admission.open("2001:db8:0:4::/64") == nil)
        admission.close("2001:db8:0:2::/64", wasAdmitted: false)
        admission.close("2001:db8:0:1::/64", wasAdmitted: true)
        #expect(admission.halfOpenInAll == 2)
        #expect(admission.open("2001:db8:0:5::/64") == nil)
        #expect(admission.open("2001:db8:0:6::/64") == .tooManyHalfOpenSessionsInAll)
        // Closing what was never opened, or twice, never drives the count below what is open.
        admission.close("never", wasAdmitted: false)
        admission.close("2001:db8:0:2::/64", wasAdmitted: false)
        #expect(admission.halfOpenInAll == 3)
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
