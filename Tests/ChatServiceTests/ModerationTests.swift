import ChatModel
import ChatService
import SocketIOProtocol
import Testing

/// Mutes and bans (issue 16): who may, what the target and the room see, what a muted or banned
/// user can no longer do, and the journal entries.
@Suite struct ModerationTests {
    /// `ann` (member), `desk` (moderator) and `boss` (admin), each connected once and in `general`.
    struct Gym {
        let chat: Chat
        let ann: User, desk: User, boss: User
        let a: ChatConnection, d: ChatConnection, b: ChatConnection

        init() async throws {
            chat = try await Chat()
            ann = try await chat.user("ann")
            var desk = try await chat.user("desk")
            desk.role = .moderator
            try await chat.repository.updateUser(desk)
            var boss = try await chat.user("boss")
            boss.role = .admin
            try await chat.repository.updateUser(boss)
            self.desk = desk
            self.boss = boss
            (a, _) = try chat.connect(ann, "a")
            (d, _) = try chat.connect(desk, "d")
            (b, _) = try chat.connect(boss, "b")
            for connection in [a, d, b] { await chat.join("general", connection) }
        }
    }

    @Test func aMuteKeepsTheUserFromWritingInThatRoomUntilItEnds() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        let end = ISO8601.format(micros: chat.clock.wallMicros() + 10 * 60_000_000)
        let muted = await chat.send("mute", ["room": "general", "user": "ann", "minutes": 10], from: gym.d)
        #expect(muted.ack == ["ok": true, "room": "general", "user": userJSON(gym.ann), "until": .string(end)])
        #expect(muted.deliveries("muted").map(\.audience) == [.connections([gym.a.id])])
        #expect(muted.deliveries("muted").first?.payload == ["room": "general", "until": .string(end)])
        #expect(
            muted.audit == [
                AuditEntry(.mute, actor: "desk", target: "ann", room: "general", details: ["until": end])
            ])
        let refusal = refusal("muted", "you are muted in 'general' until \(end)")
        #expect(await chat.send("send_message", ["room": "general", "message": "hi"], from: gym.a).ack == refusal)
        #expect(await chat.send("typing_start", ["room": "general"], from: gym.a).ack == refusal)
        // Another room is not affected.
        await chat.join("nutrition", gym.a)
        #expect(
            await chat.send("send_message", ["room": "nutrition", "message": "oats"], from: gym.a).ack?["ok"] == true)
        // rooms_list says so.
        let rooms = await chat.send("get_rooms", from: gym.a).ack?["rooms"]?.arrayValue ?? []
        #expect(rooms.first { $0["name"] == "general" }?["muted_until"] == .string(end))
        #expect(rooms.first { $0["name"] == "nutrition" }?["muted_until"] == .null)
        // Ten minutes later the mute is over by itself.
        chat.clock.advance(seconds: 601)
        #expect(
            await chat.send("send_message", ["room": "general", "message": "back"], from: gym.a).ack?["ok"] == true)
    }

    @Test func editsAndReactionsOfAMutedUserAreRefusedAndUnmuteLiftsIt() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        let sent = await chat.send("send_message", ["room": "general", "message": "first"], from: gym.a)
        let id = sent.ack?["message"]?["id"] ?? .null
        _ = await chat.send("mute", ["room": "general", "user": "ann", "minutes": 5], from: gym.b)
        #expect(
            await chat.send("edit_message", ["room": "general", "id": id, "message": "x"], from: gym.a).ack?["error"]?[
                "code"] == "muted")
        #expect(
            await chat.send("react", ["room": "general", "id": id, "emoji": "👍", "on": true], from: gym.a).ack?[
                "error"]?["code"] == "muted")
        let lifted = await chat.send("unmute", ["room": "general", "user": "ann"], from: gym.d)
        #expect(lifted.ack == ["ok": true, "room": "general", "user": userJSON(gym.ann)])
        #expect(lifted.deliveries("muted").first?.payload == ["room": "general", "until": .null])
        #expect(lifted.audit.map(\.action) == [.unmute])
        #expect(
            await chat.send("edit_message", ["room": "general", "id": id, "message": "x"], from: gym.a).ack?["ok"]
                == true)
    }

    @Test func onlyAHigherRoleMayMuteOrBan() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        let bob = try await chat.user("bob")
        _ = try chat.connect(bob, "bob")
        func code(_ event: String, _ payload: JSONValue, _ from: ChatConnection) async -> JSONValue? {
            await chat.send(event, payload, from: from).ack?["error"]?["code"]
        }
        // A member moderates nothing.
        #expect(await code("mute", ["room": "general", "user": "bob", "minutes": 1], gym.a) == "forbidden")
        #expect(await code("ban", ["room": "general", "user": "bob"], gym.a) == "forbidden")
        #expect(await code("unban", ["room": "general", "user": "bob"], gym.a) == "forbidden")
        // Not upwards, not sideways, not oneself.
        #expect(await code("mute", ["room": "general", "user": "boss", "minutes": 1], gym.d) == "forbidden")
        #expect(await code("mute", ["room": "general", "user": "desk", "minutes": 1], gym.d) == "forbidden")
        #expect(await code("ban", ["room": "general", "user": "desk"], gym.b) == nil)
        // A moderator is a member in private rooms: invisible ones answer as missing.
        #expect(await code("mute", ["room": "coaches", "user": "ann", "minutes": 1], gym.d) == "room_not_found")
        try await chat.addMember(gym.desk, to: chat.coaches)
        #expect(await code("mute", ["room": "coaches", "user": "ann", "minutes": 1], gym.d) == "forbidden")
        // An admin moderates private rooms too.
        #expect(await code("mute", ["room": "coaches", "user": "ann", "minutes": 1], gym.b) == nil)
        // Shapes.
        for minutes: JSONValue in [0, 43_201, "10", 1.5, .null] {
            #expect(
                await code("mute", ["room": "general", "user": "ann", "minutes": minutes], gym.d) == "invalid_request")
        }
        #expect(await code("mute", ["room": "general", "user": "nobody", "minutes": 1], gym.d) == "invalid_request")
        #expect(await code("ban", ["room": "general", "user": "ann", "reason": "a\u{7}b"], gym.d) == "invalid_request")
        #expect(
            await code(
                "ban", ["room": "general", "user": "ann", "reason": .string(String(repeating: "x", count: 501))], gym.d)
                == "invalid_request")
    }

    @Test func aBanRemovesTheUserAndKeepsThemOut() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        let banned = await chat.send("ban", ["room": "general", "user": "ann", "reason": "spam"], from: gym.d)
        #expect(banned.ack == ["ok": true, "room": "general", "user": userJSON(gym.ann)])
        // The room hears of the ban first (ann too), then ann's connections leave, then the leave message.
        let order = ["user_banned", "room_removed", "new_message", "user_left"].map { banned.index(of: $0) ?? -1 }
        #expect(order == order.sorted() && !order.contains(-1))
        #expect(
            banned.deliveries("user_banned").first?.payload == [
                "room": "general", "user": userJSON(gym.ann), "reason": "spam",
            ])
        #expect(banned.effects.contains(.leave([gym.a.id], room: "general")))
        #expect(banned.audit == [AuditEntry(.ban, actor: "desk", target: "ann", room: "general")])
        #expect(try chat.repository.participant(room: chat.general.id, user: gym.ann.id) == nil)
        let no = refusal("banned", "you are banned from 'general'")
        #expect(await chat.join("general", gym.a).ack == no)
        #expect(await chat.send("join_room", ["room": "general", "since": 1], from: gym.a).ack == no)
        #expect(await chat.send("get_history", ["room": "general"], from: gym.a).ack == no)
        #expect(await chat.send("send_message", ["room": "general", "message": "let me in"], from: gym.a).ack == no)
        let resumed = await chat.send("resume", ["rooms": ["general": 0, "nutrition": 0]], from: gym.a)
        #expect(resumed.ack?["rooms"]?["general"] == no)
        #expect(resumed.ack?["rooms"]?["nutrition"]?["ok"] == true)
        let rooms = await chat.send("get_rooms", from: gym.a).ack?["rooms"]?.arrayValue ?? []
        #expect(rooms.first { $0["name"] == "general" }?["banned"] == true)
        #expect(rooms.first { $0["name"] == "general" }?["ban_reason"] == "spam")
        // Unbanned, ann may join again (she is not added back by the unban).
        let unbanned = await chat.send("unban", ["room": "general", "user": "ann"], from: gym.d)
        #expect(unbanned.deliveries("user_unbanned").first?.payload == ["room": "general"])
        #expect(try chat.repository.participant(room: chat.general.id, user: gym.ann.id) == nil)
        #expect(await chat.join("general", gym.a).ack?["ok"] == true)
    }

    @Test func aJoinWrittenAfterABanIsRefusedByTheRepository() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        _ = try await chat.repository.ban(room: chat.nutrition.id, user: gym.ann.id, reason: "", actor: "desk")
        await #expect(throws: RepositoryError.banned) {
            try await chat.repository.join(room: chat.nutrition.id, user: gym.ann.id)
        }
    }

    @Test func aModeratorsDeletionOfAnothersMessageIsAudited() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        let own = await chat.send("send_message", ["room": "general", "message": "mine"], from: gym.d)
        #expect(
            await chat.send(
                "delete_message", ["room": "general", "id": own.ack?["message"]?["id"] ?? .null], from: gym.d
            ).audit.isEmpty)
        let theirs = await chat.send("send_message", ["room": "general", "message": "spam"], from: gym.a)
        let id = theirs.ack?["message"]?["id"]?.intValue ?? 0
        let deleted = await chat.send("delete_message", ["room": "general", "id": .int(id)], from: gym.d)
        #expect(
            deleted.audit == [
                AuditEntry(
                    .deleteMessage, actor: "desk", target: "ann", room: "general", details: ["message_id": "\(id)"])
            ])
        // The journal fields carry no message text.
        #expect(!deleted.audit[0].fields.values.contains("spam"))
    }

    @Test func theCLIsChangesReachTheConnectedUser() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        _ = try await chat.repository.mute(
            room: chat.general.id, user: gym.ann.id, until: chat.clock.wallMicros() + 60_000_000, actor: "cli:root")
        let muted = chat.run(chat.service.moderationApplied(.mute, roomNamed: "general", userNamed: "ann"))
        #expect(muted.deliveries("muted").first?.audience == .connections([gym.a.id]))
        let banning = try await chat.repository.ban(
            room: chat.general.id, user: gym.ann.id, reason: "", actor: "cli:root")
        #expect(banning.leaveMessage != nil)
        let banned = chat.run(chat.service.moderationApplied(.ban, roomNamed: "general", userNamed: "ann"))
        #expect(banned.deliveries("user_banned").first?.payload["reason"] == .null)
        #expect(banned.effects.contains(.leave([gym.a.id], room: "general")))
        #expect(banned.deliveries("new_message").first?.payload["message_type"] == "leave")
    }

    @Test func aBannedUserNoLongerFindsTheRoomsMessages() async throws {
        let gym = try await Gym()
        let chat = gym.chat
        _ = await chat.send("send_message", ["room": "general", "message": "deadlift tips"], from: gym.d)
        func found(_ payload: JSONValue) async -> [JSONValue] {
            await chat.send("search", payload, from: gym.a).ack?["results"]?.arrayValue ?? []
        }
        #expect(await found(["query": "deadlift"]).count == 1)
        _ = await chat.send("ban", ["room": "general", "user": "ann"], from: gym.d)
        #expect(await found(["query": "deadlift"]).isEmpty)
        #expect(
            await chat.send("search", ["query": "deadlift", "room": "general"], from: gym.a).ack
                == refusal("banned", "you are banned from 'general'"))
        _ = await chat.send("unban", ["room": "general", "user": "ann"], from: gym.d)
        #expect(await found(["query": "deadlift"]).count == 1)
    }
}
