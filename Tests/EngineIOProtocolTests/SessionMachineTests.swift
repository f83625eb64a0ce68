import EngineIOProtocol
import NIOCore
import Testing

/// A manual clock: the machines only ever see the instants we give them.
struct ManualClock {
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    mutating func advance(_ amount: TimeAmount) { now = now + amount }
}

func configuration(maxQueuedBytes: Int = 4_000_000) -> EngineConfiguration {
    var configuration = EngineConfiguration()
    configuration.pingInterval = .milliseconds(300)
    configuration.pingTimeout = .milliseconds(200)
    configuration.maxQueuedBytes = maxQueuedBytes
    return configuration
}

@Suite struct HeartbeatTests {
    @Test func pingsEveryIntervalWhilePongsCome() {
        var clock = ManualClock()
        var heartbeat = Heartbeat(interval: .milliseconds(300), timeout: .milliseconds(200), now: clock.now)
        clock.advance(.milliseconds(299))
        #expect(heartbeat.due(now: clock.now) == .none)
        clock.advance(.milliseconds(1))
        #expect(heartbeat.due(now: clock.now) == .sendPing)
        #expect(heartbeat.due(now: clock.now) == .none, "one ping per interval")
        clock.advance(.milliseconds(150))
        heartbeat.receivedPong(now: clock.now)
        #expect(heartbeat.nextWakeup == clock.now + .milliseconds(300))
        clock.advance(.milliseconds(300))
        #expect(heartbeat.due(now: clock.now) == .sendPing)
    }

    @Test func noPongWithinTheTimeoutEndsTheSession() {
        var clock = ManualClock()
        var heartbeat = Heartbeat(interval: .milliseconds(300), timeout: .milliseconds(200), now: clock.now)
        clock.advance(.milliseconds(300))
        #expect(heartbeat.due(now: clock.now) == .sendPing)
        clock.advance(.milliseconds(199))
        #expect(heartbeat.due(now: clock.now) == .none)
        clock.advance(.milliseconds(1))
        #expect(heartbeat.due(now: clock.now) == .timedOut)
    }

    @Test func anUnsolicitedPongChangesNothing() {
        let clock = ManualClock()
        var heartbeat = Heartbeat(interval: .milliseconds(300), timeout: .milliseconds(200), now: clock.now)
        let before = heartbeat
        heartbeat.receivedPong(now: clock.now + .milliseconds(10))
        #expect(heartbeat == before)
    }
}

@Suite struct PollingMachineTests {
    @Test func aPollWaitsForDataAndIsAnsweredWhenItComes() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        #expect(machine.pollArrived() == [])
        #expect(machine.pollPending)
        #expect(machine.send([.message("a"), .message("b")]) == [.answerPoll([.message("a"), .message("b")])])
        #expect(!machine.pollPending)
    }

    @Test func queuedPacketsAnswerTheNextPollAtOnce() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        #expect(machine.send([.message("a")]) == [])
        #expect(machine.pollArrived() == [.answerPoll([.message("a")])])
    }

    @Test func overlappingPollsEndTheSession() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        _ = machine.pollArrived()
        let actions = machine.pollArrived()
        #expect(actions.first == .refuse(.badRequest))
        #expect(actions.contains(.close(.transportError("overlapping polls"))))
        #expect(machine.isClosed)
    }

    @Test func postedPacketsAreDeliveredAndAClosePacketEndsTheSession() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        #expect(
            machine.posted([.message("hi"), EnginePacket(.close)], now: clock.now) == [
                .deliver(.text("hi")), .close(.clientClosed),
            ])
        #expect(machine.isClosed)
    }

    @Test func aClosePostedDuringAPollEndsThatPollWithANoop() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        _ = machine.pollArrived()
        #expect(
            machine.posted([EnginePacket(.close)], now: clock.now) == [
                .answerPoll([EnginePacket(.noop)]), .close(.clientClosed),
            ])
    }

    @Test func pingsGoToThePollAndAMissingPongTimesOut() {
        var clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        _ = machine.pollArrived()
        clock.advance(.milliseconds(300))
        #expect(machine.tick(now: clock.now) == [.answerPoll([EnginePacket(.ping)])])
        clock.advance(.milliseconds(200))
        _ = machine.pollArrived()
        #expect(machine.tick(now: clock.now) == [.answerPoll([EnginePacket(.close)]), .close(.pingTimeout)])
    }

    @Test func aClientThatStopsPollingIsCutOffAtTheQueueLimit() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(
            transport: .polling, configuration: configuration(maxQueuedBytes: 100), now: clock.now)
        #expect(machine.send([.message(String(repeating: "x", count: 60))]) == [])
        #expect(machine.send([.message(String(repeating: "y", count: 60))]) == [.close(.queueOverflow)])
        #expect(machine.queuedBytes == 0, "nothing stays queued for a dead client")
    }
}

@Suite struct UpgradeMachineTests {
    @Test func probeNoopUpgradeThenEverythingGoesOverWebSocket() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        _ = machine.pollArrived()
        #expect(
            machine.webSocketReceived(EnginePacket(.ping, .text("probe")), now: clock.now) == [
                .sendOnWebSocket([EnginePacket(.pong, .text("probe"))]),
                .answerPoll([EnginePacket(.noop)]),
            ])
        #expect(machine.upgrading)
        // Sent while upgrading: held back for the WebSocket.
        #expect(machine.send([.message("during")]) == [])
        #expect(
            machine.webSocketReceived(EnginePacket(.upgrade), now: clock.now) == [
                .sendOnWebSocket([.message("during")])
            ])
        #expect(machine.transport == .websocket)
        #expect(machine.send([.message("after")]) == [.sendOnWebSocket([.message("after")])])
        #expect(machine.pollArrived() == [.refuse(.badRequest)])
    }

    @Test func aFailedProbeLeavesTheSessionOnPolling() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        _ = machine.webSocketReceived(EnginePacket(.ping, .text("probe")), now: clock.now)
        #expect(machine.webSocketClosed() == [])
        #expect(machine.transport == .polling)
        #expect(!machine.upgrading)
        #expect(!machine.isClosed)
    }

    @Test func anUpgradeWithoutAProbeIsAProtocolError() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        #expect(
            machine.webSocketReceived(EnginePacket(.upgrade), now: clock.now).last
                == .close(.transportError("unexpected packet during upgrade")))
    }

    @Test func closingTheWebSocketAfterTheUpgradeEndsTheSession() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .websocket, configuration: configuration(), now: clock.now)
        #expect(machine.webSocketClosed() == [.close(.clientClosed)])
    }
}

@Suite struct PollBatchingTests {
    /// python-engineio drops a connection whose poll answer holds more than 16 packets.
    @Test func aPollAnswerHoldsAtMostSixteenPacketsAndTheRestWait() {
        let clock = ManualClock()
        var machine = EngineSessionMachine(transport: .polling, configuration: configuration(), now: clock.now)
        let packets = (0..<40).map { EnginePacket(.message, .text("m\($0)")) }
        #expect(machine.send(packets).isEmpty, "no poll is waiting yet")
        var received: [EnginePacket] = []
        for expected in [16, 16, 8] {
            guard case .answerPoll(let answer)? = machine.pollArrived().first else {
                Issue.record("the poll was not answered at once")
                return
            }
            #expect(answer.count == expected)
            received += answer
        }
        #expect(received == packets, "in order, each once")
        #expect(machine.queuedBytes == 0)
        #expect(machine.pollArrived().isEmpty, "nothing left: the poll is held")
    }
}
