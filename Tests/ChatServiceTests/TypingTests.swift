import ChatModel
import ChatService
import SocketIOProtocol
import Testing

@Suite("typing_start, typing_stop and expiry")
struct TypingTests {
    func typing(_ user: User, _ typing: Bool) -> Effect {
        .deliver(
            Delivery(
                .roomExcludingUser("general", user.id), "user_typing",
                ["room": "general", "user": userJSON(user), "typing": .bool(typing)]))
    }

    @Test func startAndStopGoToTheOthersOnly() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)

        #expect(
            await chat.send("typing_start", ["room": "general"], from: a).steps
                == [.effect(typing(ann, true)), .ack(["ok": true, "room": "general", "typing": true])])
        // A renewal says nothing new.
        #expect(
            await chat.send("typing_start", ["room": "general"], from: a).steps == [
                .ack(["ok": true, "room": "general", "typing": true])
            ])
        #expect(
            await chat.send("typing_stop", ["room": "general"], from: a).steps
                == [.effect(typing(ann, false)), .ack(["ok": true, "room": "general", "typing": false])])
        // Stopping when not typing is acked, announced to nobody.
        #expect(
            await chat.send("typing_stop", ["room": "general"], from: a).steps == [
                .ack(["ok": true, "room": "general", "typing": false])
            ])
    }

    @Test func aStartExpiresAfterFiveSecondsUnlessRenewed() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        _ = await chat.send("typing_start", ["room": "general"], from: a)

        chat.clock.advance(seconds: 4)
        #expect(chat.run(chat.service.expireTyping()).steps.isEmpty)
        _ = await chat.send("typing_start", ["room": "general"], from: a)  // renews for 5 s from now
        chat.clock.advance(seconds: 4.9)
        #expect(chat.run(chat.service.expireTyping()).steps.isEmpty)
        chat.clock.advance(seconds: 0.1)
        #expect(chat.run(chat.service.expireTyping()).steps == [.effect(typing(ann, false))])
        #expect(chat.run(chat.service.expireTyping()).steps.isEmpty)
    }

    @Test func typingNeedsMembershipAndAVisibleRoom() async throws {
        let chat = try await Chat()
        let bob = try await chat.user("bob")
        let (b, _) = try chat.connect(bob, "b")
        #expect(
            await chat.send("typing_start", ["room": "general"], from: b).steps == [
                .ack(refusal("not_joined", "join 'general' first"))
            ])
        #expect(
            await chat.send("typing_stop", ["room": "general"], from: b).steps == [
                .ack(refusal("not_joined", "join 'general' first"))
            ])
        #expect(
            await chat.send("typing_start", ["room": "coaches"], from: b).steps == [
                .ack(refusal("room_not_found", "no room named 'coaches'"))
            ])
        #expect(
            await chat.send("typing_start", [], from: b).steps
                == [.ack(refusal("invalid_request", "expected an object like {\"room\": \"general\"}"))])
    }

    @Test func typingStartsAreRateLimitedPerUser() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        for _ in 0..<30 { _ = await chat.send("typing_start", ["room": "general"], from: a) }
        #expect(
            await chat.send("typing_start", ["room": "general"], from: a).steps == [
                .ack(refusal("rate_limited", "slow down"))
            ])
        // Stopping is never limited.
        #expect(await chat.send("typing_stop", ["room": "general"], from: a).ack?["ok"] == true)
        chat.clock.advance(seconds: 0.2)  // five per second
        #expect(await chat.send("typing_start", ["room": "general"], from: a).ack?["ok"] == true)
    }

    @Test func aDisconnectStopsWhatTheUserWasTyping() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        _ = await chat.send("typing_start", ["room": "general"], from: a)

        let run = chat.run(chat.service.disconnect(a))
        #expect(run.effects.first == typing(ann, false))
        #expect(chat.run(chat.service.expireTyping()).steps.isEmpty)
    }
}
