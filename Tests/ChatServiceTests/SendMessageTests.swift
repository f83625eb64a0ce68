import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

@Suite("send_message")
struct SendMessageTests {
    @Test func theAckComesFirstThenTheRoomIncludingTheSenderGetsTheMessage() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        await chat.join("general", a)
        await chat.join("general", b)
        chat.clock.advance(seconds: 2)

        let run = await chat.send("send_message", ["room": "general", "message": "  Leg day!\n  "], from: a)

        let message: JSONValue = [
            "id": 3, "room": "general", "user": ["id": 1, "name": "ann", "display_name": "Ann"],
            "message": "Leg day!", "message_type": "text", "created_at": "2026-11-24T18:05:11.123Z",
            "is_edited": false, "edited_at": nil, "deleted": false, "reactions": [], "mentions": [],
        ]
        #expect(
            run.steps == [
                .ack(["ok": true, "message": message]),
                .effect(
                    .deliver(Delivery(.room("general", except: nil), "new_message", message, isMessageDelivery: true))),
            ])
        #expect(run.stored)
        // Stored (trimmed) before anything was said about it; the sender's last_active moved.
        #expect(try chat.repository.message(id: 3)?.text == "Leg day!")
        #expect(
            try chat.repository.participant(room: chat.general.id, user: ann.id)?.lastActive == TestClock.start
                + 2_000_000)
    }

    @Test func anAdminsChangeOfDisplayNameCountsFromTheNextEvent() async throws {
        let chat = try await Chat()
        var ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        ann.displayName = "Coach Ann"
        try await chat.repository.updateUser(ann)

        let run = await chat.send("send_message", ["room": "general", "message": "Hi"], from: a)

        #expect(run.ack?["message"]?["user"] == ["id": 1, "name": "ann", "display_name": "Coach Ann"])
        #expect(run.deliveries("new_message").first?.payload["user"]?["display_name"] == "Coach Ann")
    }

    @Test func aUserDisabledSinceConnectingIsRefused() async throws {
        let chat = try await Chat()
        var ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        ann.disabled = true
        try await chat.repository.updateUser(ann)

        let run = await chat.send("send_message", ["room": "general", "message": "Hi"], from: a)

        #expect(run.ack == ["ok": false, "error": ["code": "unauthorized", "message": "not signed in"]])
        #expect(run.deliveries.isEmpty && !run.stored)
    }

    @Test func nothingIsAckedOrBroadcastWhenTheCommitFails() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        chat.repository.fail(.writes)

        let run = await chat.send("send_message", ["room": "general", "message": "hello"], from: a)

        #expect(run.steps == [.ack(refusal("internal_error", "something went wrong; try again"))])
        #expect(!run.stored)
        #expect(run.faults == ["the test store failed"])
    }

    @Test func sendingStopsTheSendersTyping() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        _ = await chat.send("typing_start", ["room": "general"], from: a)

        let run = await chat.send("send_message", ["room": "general", "message": "done"], from: a)

        #expect(run.steps.map(\.eventName) == ["user_typing", nil, "new_message"])
        #expect(run.deliveries("user_typing").first?.payload["typing"] == false)
    }

    @Test func textRules() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        func send(_ message: JSONValue) async -> [Step] {
            await chat.send("send_message", ["room": "general", "message": message], from: a).steps
        }
        #expect(await send("   \n\t ") == [.ack(refusal("invalid_message", "a message needs some text"))])
        #expect(await send("") == [.ack(refusal("invalid_message", "a message needs some text"))])
        #expect(await send("bell\u{07}") == [.ack(refusal("invalid_message", "control characters are not allowed"))])
        #expect(await send(42) == [.ack(refusal("invalid_message", "'message' must be a string"))])
        #expect(
            await chat.send("send_message", ["room": "general"], from: a).steps
                == [.ack(refusal("invalid_message", "'message' must be a string"))])
        #expect(
            await send(.string(String(repeating: "a", count: 2001)))
                == [.ack(refusal("message_too_long", "messages are \(MessageText.limit.description)"))])
        // 1,100 characters, but 8,800 bytes of UTF-8; 2,000 characters, but 4,002 scalars.
        let tooLong = "messages are \(MessageText.limit.description)"
        #expect(
            await send(.string(String(repeating: "👍🏽", count: 1100))) == [.ack(refusal("message_too_long", tooLong))])
        #expect(
            await send(.string("e\u{301}\u{301}" + String(repeating: "e\u{301}", count: 1999))) == [
                .ack(refusal("message_too_long", tooLong))
            ])
        let longest = await send(.string(String(repeating: "a", count: 2000)))
        #expect(longest.count == 2 && longest.first == .ack(["ok": true, "message": longest.last?.payload ?? .null]))
        #expect(await send("line one\n\tline two").count == 2)
        // Only the accepted ones were stored: the join message and two texts.
        #expect(try chat.repository.latestMessages(room: chat.general.id, limit: 10).count == 3)
    }

    @Test func sendingNeedsAVisibleRoomAndMembership() async throws {
        let chat = try await Chat()
        let bob = try await chat.user("bob")
        let (b, _) = try chat.connect(bob, "b")
        #expect(
            await chat.send("send_message", ["room": "general", "message": "hi"], from: b).steps
                == [.ack(refusal("not_joined", "join 'general' first"))])
        #expect(
            await chat.send("send_message", ["room": "coaches", "message": "hi"], from: b).steps
                == [.ack(refusal("room_not_found", "no room named 'coaches'"))])
        #expect(
            await chat.send("send_message", ["room": "gym", "message": "hi"], from: b).steps
                == [.ack(refusal("room_not_found", "no room named 'gym'"))])
        #expect(
            await chat.send("send_message", ["message": "hi"], from: b).steps
                == [.ack(refusal("invalid_request", "'room' must be a room name"))])
        #expect(try chat.repository.latestMessages(room: chat.general.id, limit: 10).isEmpty)
    }

    @Test func aMemberCannotSendToAnArchivedRoom() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        _ = try await chat.repository.archiveRoom(named: "general")
        #expect(
            await chat.send("send_message", ["room": "general", "message": "hi"], from: a).steps
                == [.ack(refusal("room_not_found", "no room named 'general'"))])
    }

    @Test func messagesAreATokenBucketPerUserRefilledByTheClock() async throws {
        var limits = ChatService.Limits()
        limits.messageBurst = 3
        limits.messageRate = 2
        let chat = try await Chat(limits: limits)
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a1, _) = try chat.connect(ann, "a1")
        let (a2, _) = try chat.connect(ann, "a2")
        let (b, _) = try chat.connect(bob, "b")
        await chat.join("general", a1)
        await chat.join("general", b)
        func ok(_ run: Run) -> Bool { run.ack?["ok"] == true }
        func send(_ from: ChatConnection) async -> Run {
            await chat.send("send_message", ["room": "general", "message": "rep"], from: from)
        }
        for from in [a1, a2, a1] {
            let run = await send(from)
            #expect(ok(run))
        }
        // The burst is spent for ann on every connection, and refused loudly (never dropped).
        #expect(await send(a2).steps == [.ack(refusal("rate_limited", "slow down"))])
        #expect(ok(await send(b)))
        chat.clock.advance(seconds: 0.4)
        #expect(await send(a1).steps == [.ack(refusal("rate_limited", "slow down"))])
        chat.clock.advance(seconds: 0.1)  // 0.5 s at 2/s: one token
        #expect(ok(await send(a1)))
        #expect(await send(a1).steps == [.ack(refusal("rate_limited", "slow down"))])
        chat.clock.advance(seconds: 60)  // refills up to the burst, not beyond
        var accepted = 0
        for _ in 0..<5 {
            let run = await send(a1)
            if ok(run) { accepted += 1 }
        }
        #expect(accepted == 3)
    }

    @Test func aRateOfZeroTurnsTheMessageLimitOff() async throws {
        var limits = ChatService.Limits()
        limits.messageBurst = 1
        limits.messageRate = 0
        let chat = try await Chat(limits: limits)
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        for n in 0..<30 {
            #expect(
                await chat.send("send_message", ["room": "general", "message": .string("m\(n)")], from: a).ack?["ok"]
                    == true)
        }
    }
}
