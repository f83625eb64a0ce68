import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

/// edit_message, delete_message and react (issue 14), without sockets.
@Suite("editing, deleting and reacting")
struct MessageChangeTests {
    /// ann and bob in general, ann's message "Leg day" (id 3); coach is an admin in general.
    struct Scene {
        let chat: Chat
        let ann: User, bob: User
        let a: ChatConnection, b: ChatConnection
        let message: Int64
    }

    func scene(limits: ChatService.Limits = .init()) async throws -> Scene {
        let chat = try await Chat(limits: limits)
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        await chat.join("general", a)
        await chat.join("general", b)
        let sent = await chat.send("send_message", ["room": "general", "message": "Leg day"], from: a)
        return Scene(chat: chat, ann: ann, bob: bob, a: a, b: b, message: sent.ack!["message"]!["id"]!.intValue!)
    }

    func admin(_ s: Scene) async throws -> ChatConnection {
        let coach = try await s.chat.repository.createUser(
            name: "coach", displayName: "Coach", role: .admin, passwordHash: nil)
        let (c, _) = try s.chat.connect(coach, "c")
        await s.chat.join("general", c)
        return c
    }

    // MARK: edit_message

    @Test func theAuthorEditsAndTheRoomGetsTheWholeMessageAfterTheAck() async throws {
        let s = try await scene()
        s.chat.clock.advance(seconds: 3)
        let run = await s.chat.send(
            "edit_message", ["room": "general", "id": .int(s.message), "message": "  Leg day!! "], from: s.a)
        let message: JSONValue = [
            "id": 3, "room": "general", "user": ["id": 1, "name": "ann", "display_name": "Ann"],
            "message": "Leg day!!", "message_type": "text", "created_at": "2026-11-24T18:05:09.123Z",
            "is_edited": true, "edited_at": "2026-11-24T18:05:12.123Z", "deleted": false, "reactions": [],
            "mentions": [],
        ]
        #expect(
            run.steps == [
                .ack(["ok": true, "message": message]),
                .effect(.deliver(Delivery(.room("general", except: nil), "message_updated", message))),
            ])
        #expect(try s.chat.repository.message(id: 3)?.text == "Leg day!!")
    }

    @Test func anEditKeepsTheReactions() async throws {
        let s = try await scene()
        _ = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "💪", "on": true], from: s.b)
        let run = await s.chat.send("edit_message", ["room": "general", "id": 3, "message": "Arm day"], from: s.a)
        #expect(run.ack?["message"]?["reactions"] == [["emoji": "💪", "count": 1, "users": ["bob"]]])
    }

    @Test func editRefusals() async throws {
        let s = try await scene()
        let coach = try await admin(s)
        let cases: [(JSONValue, ChatConnection, String)] = [
            (["room": "general", "id": 3, "message": "mine now"], s.b, "forbidden"),
            (["room": "general", "id": 3, "message": "mine now"], coach, "forbidden"),
            (["room": "general", "id": 99, "message": "x"], s.a, "message_not_found"),
            // Message 1 is ann's own `join` message: not a text message.
            (["room": "general", "id": 1, "message": "x"], s.a, "invalid_message"),
            (["room": "nutrition", "id": 3, "message": "x"], s.a, "not_joined"),
            (["room": "coaches", "id": 3, "message": "x"], s.a, "room_not_found"),
            (["room": "general", "id": 3, "message": "   "], s.a, "invalid_message"),
            (
                ["room": "general", "id": 3, "message": .string(String(repeating: "x", count: 2001))], s.a,
                "message_too_long"
            ),
            (["room": "general", "id": 3, "message": 5], s.a, "invalid_message"),
            (["room": "general", "id": "3", "message": "x"], s.a, "invalid_request"),
            (["room": "general", "message": "x"], s.a, "invalid_request"),
            (["id": 3, "message": "x"], s.a, "invalid_request"),
        ]
        for (payload, connection, code) in cases {
            let run = await s.chat.send("edit_message", payload, from: connection)
            #expect(run.ack?["ok"] == false && run.ack?["error"]?["code"] == .string(code), "\(payload)")
            #expect(run.deliveries.isEmpty)
        }
        #expect(try s.chat.repository.message(id: 3)?.text == "Leg day")
    }

    @Test func aMessageOfAnotherRoomIsNotFoundInThisOne() async throws {
        let s = try await scene()
        await s.chat.join("nutrition", s.a)
        let run = await s.chat.send("edit_message", ["room": "nutrition", "id": 3, "message": "x"], from: s.a)
        #expect(run.ack == refusal("message_not_found", "no message 3 in this room"))
    }

    // MARK: delete_message

    @Test func theAuthorDeletesLeavingATombstoneInHistory() async throws {
        let s = try await scene()
        _ = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": true], from: s.b)
        let run = await s.chat.send("delete_message", ["room": "general", "id": 3], from: s.a)
        #expect(
            run.steps == [
                .ack(["ok": true, "room": "general", "id": 3]),
                .effect(
                    .deliver(Delivery(.room("general", except: nil), "message_deleted", ["room": "general", "id": 3]))),
            ])
        let stored = try #require(try s.chat.repository.message(id: 3))
        #expect(stored.deleted && stored.text.isEmpty)
        #expect(try s.chat.repository.reactions(ofMessage: 3).isEmpty)
        let history = await s.chat.join("general", s.b).ack?["messages"]?.arrayValue ?? []
        let tombstone = history.first { $0["id"] == 3 }
        #expect(tombstone?["deleted"] == true && tombstone?["message"] == "" && tombstone?["reactions"] == [])
        // A tombstone takes nothing more.
        for (event, payload) in [
            ("delete_message", ["room": "general", "id": 3] as JSONValue),
            ("edit_message", ["room": "general", "id": 3, "message": "back"]),
            ("react", ["room": "general", "id": 3, "emoji": "👍", "on": true]),
        ] {
            #expect(
                await s.chat.send(event, payload, from: s.a).ack
                    == refusal("message_not_found", "no message 3 in this room"), "\(event)")
        }
    }

    @Test func anAdminDeletesAnyMessageEvenANotice() async throws {
        let s = try await scene()
        let coach = try await admin(s)
        let notice = try await s.chat.repository.append(
            NewMessage(roomID: s.chat.general.id, userID: coach.user.id, text: "Closed", type: .system))
        #expect(await s.chat.send("delete_message", ["room": "general", "id": 3], from: coach).ack?["ok"] == true)
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": .int(Int64(notice.id))], from: coach).ack?[
                "ok"] == true)
        #expect(try s.chat.repository.message(id: notice.id)?.deleted == true)
    }

    @Test func deleteRefusals() async throws {
        let s = try await scene()
        // bob deletes ann's text: forbidden; ann deletes her own join message: not a text message.
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": 3], from: s.b).ack?["error"]?["code"]
                == "forbidden")
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": 1], from: s.a).ack?["error"]?["code"]
                == "invalid_message")
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": 42], from: s.a).ack?["error"]?["code"]
                == "message_not_found")
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": -1], from: s.a).ack?["error"]?["code"]
                == "message_not_found")
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": 1.5], from: s.a).ack?["error"]?["code"]
                == "invalid_request")
        #expect(
            await s.chat.send("delete_message", ["room": "nutrition", "id": 3], from: s.a).ack?["error"]?["code"]
                == "not_joined")
        #expect(try s.chat.repository.message(id: 3)?.deleted == false)
    }

    // MARK: react

    @Test func reactionsToggleAndTheRoomSeesThemAfterTheAck() async throws {
        let s = try await scene()
        _ = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": true], from: s.a)
        _ = await s.chat.send("react", ["room": "general", "id": 3, "emoji": ":fire:", "on": true], from: s.b)
        let run = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": true], from: s.b)
        let reactions: JSONValue = [
            ["emoji": "👍", "count": 2, "users": ["ann", "bob"]], ["emoji": ":fire:", "count": 1, "users": ["bob"]],
        ]
        let fields: JSONValue = ["room": "general", "id": 3, "reactions": reactions]
        #expect(
            run.steps == [
                .ack(["ok": true, "room": "general", "id": 3, "reactions": reactions]),
                .effect(.deliver(Delivery(.room("general", except: nil), "reaction_updated", fields))),
            ])
        // On again is fine; off twice too.
        #expect(
            await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": true], from: s.b).ack?[
                "reactions"] == reactions)
        _ = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": false], from: s.a)
        let off = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": false], from: s.a)
        #expect(
            off.ack?["reactions"] == [
                ["emoji": "👍", "count": 1, "users": ["bob"]], ["emoji": ":fire:", "count": 1, "users": ["bob"]],
            ])
        // History and new joiners see them.
        let history = await s.chat.join("general", s.a).ack?["messages"]?.arrayValue ?? []
        #expect(history.first { $0["id"] == 3 }?["reactions"] == off.ack?["reactions"])
    }

    @Test func twentyDistinctEmojisAtMost() async throws {
        var limits = ChatService.Limits()
        limits.reactionBurst = 100
        let s = try await scene(limits: limits)
        for n in 0..<20 {
            let run = await s.chat.send(
                "react", ["room": "general", "id": 3, "emoji": .string(":e\(n):"), "on": true], from: s.a)
            #expect(run.ack?["ok"] == true)
        }
        let run = await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": true], from: s.b)
        #expect(run.ack == refusal("invalid_request", "a message holds at most 20 different emojis"))
        #expect(run.deliveries.isEmpty)
        #expect(
            await s.chat.send("react", ["room": "general", "id": 3, "emoji": ":e7:", "on": true], from: s.b).ack?["ok"]
                == true)
    }

    @Test func reactRefusals() async throws {
        let s = try await scene()
        for emoji in ["x", "👍👍", "", ":Fire:", "::", "1", "#", ":\(String(repeating: "a", count: 33)):", "👍 "] {
            let run = await s.chat.send(
                "react", ["room": "general", "id": 3, "emoji": .string(emoji), "on": true], from: s.b)
            #expect(run.ack?["error"]?["code"] == "invalid_request", "\(emoji)")
        }
        #expect(
            await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍"], from: s.b).ack?["error"]?["code"]
                == "invalid_request")
        #expect(
            await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": "yes"], from: s.b).ack?[
                "error"]?[
                    "code"] == "invalid_request")
        #expect(
            await s.chat.send("react", ["room": "general", "id": 9, "emoji": "👍", "on": true], from: s.b).ack?[
                "error"]?[
                    "code"] == "message_not_found")
        #expect(
            await s.chat.send("react", ["room": "coaches", "id": 3, "emoji": "👍", "on": true], from: s.b).ack?[
                "error"]?[
                    "code"] == "room_not_found")
    }

    @Test func editsDeletesAndReactionsAreRateLimited() async throws {
        var limits = ChatService.Limits()
        limits.messageBurst = 3
        limits.messageRate = 0.001
        limits.reactionBurst = 2
        limits.reactionRate = 0.001
        let s = try await scene(limits: limits)  // the send took one message token
        #expect(
            await s.chat.send("edit_message", ["room": "general", "id": 3, "message": "a"], from: s.a).ack?["ok"]
                == true)
        #expect(
            await s.chat.send("edit_message", ["room": "general", "id": 3, "message": "b"], from: s.a).ack?["ok"]
                == true)
        #expect(
            await s.chat.send("delete_message", ["room": "general", "id": 3], from: s.a).ack
                == refusal(
                    "rate_limited", "slow down"))
        for on in [true, false] {
            #expect(
                await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": .bool(on)], from: s.b).ack?[
                    "ok"] == true)
        }
        #expect(
            await s.chat.send("react", ["room": "general", "id": 3, "emoji": "👍", "on": true], from: s.b).ack
                == refusal("rate_limited", "slow down"))
    }
}

@Suite("moderators (issue 16: roles)")
struct ModeratorTests {
    @Test func aModeratorDeletesAnyonesMessageInAPublicRoomOnly() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        var mod = try await chat.user("mod")
        mod.role = .moderator
        try await chat.repository.updateUser(mod)
        let (a, _) = try chat.connect(ann, "a")
        let (m, _) = try chat.connect(mod, "m")
        await chat.join("general", a)
        await chat.join("general", m)
        let sent = await chat.send("send_message", ["room": "general", "message": "spam"], from: a)
        let id = sent.ack?["message"]?["id"] ?? .null
        let deleted = await chat.send("delete_message", ["room": "general", "id": id], from: m)
        #expect(deleted.ack == ["ok": true, "room": "general", "id": id])
        // In a private room a moderator is a member like any other.
        try await chat.addMember(ann, to: chat.coaches)
        try await chat.addMember(mod, to: chat.coaches)
        await chat.join("coaches", a)
        await chat.join("coaches", m)
        let secret = await chat.send("send_message", ["room": "coaches", "message": "ours"], from: a)
        let refused = await chat.send(
            "delete_message", ["room": "coaches", "id": secret.ack?["message"]?["id"] ?? .null], from: m)
        #expect(refused.ack == refusal("forbidden", "only its author or a moderator of the room may delete a message"))
    }

    @Test func rolesAreNamed() {
        #expect(UserRole.allCases.map(\.name) == ["member", "admin", "moderator"])
        #expect(UserRole(name: "moderator") == .moderator && UserRole(name: "Admin") == nil)
    }
}
