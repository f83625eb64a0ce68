import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

/// Mutes and bans (issue 16), without sockets: what the end-to-end tests cannot do quickly (a
/// mute's end, a minute later) and the codes a banned user's attempts get.
@Suite("moderation: a mute's end, a banned user's codes")
struct ModerationEndTests {
    /// ann (a member) and desk (a moderator) in general; ann's message "Leg day" (id 3).
    struct Scene {
        let chat: Chat
        let a: ChatConnection, desk: ChatConnection
        let message: Int64
    }

    func scene() async throws -> Scene {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let moderator = try await chat.repository.createUser(
            name: "desk", displayName: "Desk", role: .moderator, passwordHash: nil)
        let (a, _) = try chat.connect(ann, "a")
        let (desk, _) = try chat.connect(moderator, "d")
        await chat.join("general", a)
        await chat.join("general", desk)
        let sent = await chat.send("send_message", ["room": "general", "message": "Leg day"], from: a)
        return Scene(chat: chat, a: a, desk: desk, message: sent.ack!["message"]!["id"]!.intValue!)
    }

    func code(_ run: Run) -> String? { run.ack?["error"]?["code"]?.stringValue }

    @Test func aMuteEndsByItselfWhenItsTimeIsUp() async throws {
        let s = try await scene()
        let muted = await s.chat.send("mute", ["room": "general", "user": "ann", "minutes": 1], from: s.desk)
        #expect(muted.ack?["ok"] == true)
        s.chat.clock.advance(seconds: 59)
        let early = await s.chat.send("send_message", ["room": "general", "message": "let me"], from: s.a)
        #expect(code(early) == "muted")
        s.chat.clock.advance(seconds: 1.5)
        let later = await s.chat.send("send_message", ["room": "general", "message": "free again"], from: s.a)
        #expect(later.ack?["ok"] == true)
        let react = await s.chat.send(
            "react", ["room": "general", "id": .int(s.message), "emoji": "💪", "on": true], from: s.a)
        #expect(react.ack?["ok"] == true)
        let rooms = await s.chat.send("get_rooms", from: s.a)
        let general = rooms.ack?["rooms"]?.arrayValue?.first { $0["name"] == "general" }
        #expect(general?["muted_until"] == .null)
    }

    /// The ban ended ann's membership; what she tries on the room's messages is `banned`, not `not_joined`.
    @Test func aBannedUserIsToldBannedWhenTouchingTheRoomsMessages() async throws {
        let s = try await scene()
        let banned = await s.chat.send("ban", ["room": "general", "user": "ann"], from: s.desk)
        #expect(banned.ack?["ok"] == true)
        let attempts: [(String, JSONValue)] = [
            ("send_message", ["room": "general", "message": "hi"]),
            ("edit_message", ["room": "general", "id": .int(s.message), "message": "hi"]),
            ("delete_message", ["room": "general", "id": .int(s.message)]),
            ("react", ["room": "general", "id": .int(s.message), "emoji": "💪", "on": true]),
            ("report_message", ["room": "general", "id": .int(s.message), "reason": "x"]),
            ("join_room", ["room": "general"]),
            ("get_history", ["room": "general"]),
        ]
        for (event, payload) in attempts {
            let run = await s.chat.send(event, payload, from: s.a)
            #expect(code(run) == "banned", "\(event)")
        }
        // Not banned from nutrition, nor in it: not_joined there.
        let elsewhere = await s.chat.send(
            "react", ["room": "nutrition", "id": .int(s.message), "emoji": "💪", "on": true], from: s.a)
        #expect(code(elsewhere) == "not_joined")
    }
}
