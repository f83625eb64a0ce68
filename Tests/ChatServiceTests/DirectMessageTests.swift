import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

/// open_direct and direct rooms (issue 14), without sockets.
@Suite("direct messages")
struct DirectMessageTests {
    @Test func openingMakesAPrivateRoomForTheTwoAndRefreshesBothRoomLists() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b1, _) = try chat.connect(bob, "b1")
        let (b2, _) = try chat.connect(bob, "b2")

        let run = await chat.send("open_direct", ["user": "BOB"], from: a)

        let room: JSONValue = [
            "name": "dm-1-2", "description": "", "is_private": true, "kind": "direct", "title": "Bob",
            "peer": userJSON(bob),
        ]
        #expect(run.ack == ["ok": true, "room": room])
        #expect(run.ackIndex == 0)
        let lists = run.deliveries("rooms_list")
        #expect(lists.map(\.audience) == [.connections([id("a")]), .connections([id("b1"), id("b2")])])
        let annSees = lists[0].payload["rooms"]?.arrayValue?.first { $0["name"] == "dm-1-2" }
        let bobSees = lists[1].payload["rooms"]?.arrayValue?.first { $0["name"] == "dm-1-2" }
        #expect(annSees?["kind"] == "direct" && annSees?["title"] == "Bob" && annSees?["peer"] == userJSON(bob))
        #expect(bobSees?["title"] == "Ann" && bobSees?["peer"] == userJSON(ann) && bobSees?["participants"] == 2)
        let dm = try #require(try chat.repository.room(named: "dm-1-2"))
        #expect(dm.kind == .direct && dm.isPrivate)
        #expect(try chat.repository.participants(ofRoom: dm.id).map(\.userID) == [ann.id, bob.id])
        _ = b1
        _ = b2
    }

    @Test func openingAgainIsTheSameRoomWithoutNewLists() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        let first = await chat.send("open_direct", ["user": "bob"], from: a)
        let again = await chat.send("open_direct", ["user": "bob"], from: a)
        let fromBob = await chat.send("open_direct", ["user": "ann"], from: b)
        #expect(again.ack?["room"]?["name"] == first.ack?["room"]?["name"])
        #expect(fromBob.ack?["room"]?["name"] == "dm-1-2" && fromBob.ack?["room"]?["title"] == "Ann")
        #expect(again.deliveries.isEmpty && fromBob.deliveries.isEmpty)
        #expect(try chat.repository.allRooms().filter { $0.kind == .direct }.count == 1)
    }

    @Test func oneWhoLeftIsBackWithAFreshListWhenTheOtherReopens() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        _ = await chat.send("open_direct", ["user": "bob"], from: a)
        await chat.join("dm-1-2", b)
        #expect(await chat.send("leave_room", ["room": "dm-1-2"], from: b).ack?["ok"] == true)
        #expect(await chat.join("dm-1-2", b).ack?["error"]?["code"] == "room_not_found")

        let run = await chat.send("open_direct", ["user": "bob"], from: a)

        #expect(run.deliveries("rooms_list").map(\.audience) == [.connections([id("b")])])
        #expect(await chat.join("dm-1-2", b).ack?["ok"] == true)
    }

    @Test func aDirectRoomWorksLikeAnyPrivateRoom() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let eve = try await chat.user("eve")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        let (e, _) = try chat.connect(eve, "e")
        _ = await chat.send("open_direct", ["user": "bob"], from: a)

        let joined = await chat.join("dm-1-2", a)
        #expect(joined.ack?["room"]?["kind"] == "direct" && joined.ack?["room"]?["title"] == "Bob")
        #expect(joined.ack?["messages"] == [])
        await chat.join("dm-1-2", b)
        let sent = await chat.send("send_message", ["room": "dm-1-2", "message": "Spot me at 6?"], from: a)
        #expect(sent.ack?["ok"] == true)
        let id = sent.ack!["message"]!["id"]!
        #expect(
            await chat.send("react", ["room": "dm-1-2", "id": id, "emoji": "👍", "on": true], from: b).ack?["ok"]
                == true)
        #expect(
            await chat.send("edit_message", ["room": "dm-1-2", "id": id, "message": "Spot me at 7?"], from: a).ack?[
                "ok"] == true)
        // Outsiders cannot tell it exists.
        #expect(await chat.join("dm-1-2", e).ack == refusal("room_not_found", "no room named 'dm-1-2'"))
        #expect(
            await chat.send("send_message", ["room": "dm-1-2", "message": "hi"], from: e).ack?["error"]?["code"]
                == "room_not_found")
        let eveRooms = await chat.send("get_rooms", from: e).ack?["rooms"]?.arrayValue ?? []
        #expect(!eveRooms.contains { $0["name"] == "dm-1-2" })
        #expect(eveRooms.allSatisfy { $0["kind"] == "public" })
    }

    @Test func refusals() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        var bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let noSuchUser = refusal("invalid_request", "no such user")
        #expect(await chat.send("open_direct", ["user": "nobody"], from: a).ack == noSuchUser)
        #expect(await chat.send("open_direct", ["user": "../x"], from: a).ack == noSuchUser)
        #expect(
            await chat.send("open_direct", ["user": "ANN"], from: a).ack
                == refusal("invalid_request", "a direct conversation needs another user"))
        #expect(await chat.send("open_direct", ["user": 5], from: a).ack?["error"]?["code"] == "invalid_request")
        #expect(await chat.send("open_direct", ["room": "bob"], from: a).ack?["error"]?["code"] == "invalid_request")
        #expect(await chat.send("open_direct", from: a).ack?["error"]?["code"] == "invalid_request")
        bob.disabled = true
        try await chat.repository.updateUser(bob)
        #expect(await chat.send("open_direct", ["user": "bob"], from: a).ack == noSuchUser)
        #expect(try chat.repository.allRooms().allSatisfy { $0.kind != .direct })
    }

    @Test func aDisabledUsersConversationStaysReadableByTheOther() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        var bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        _ = await chat.send("open_direct", ["user": "ann"], from: b)
        await chat.join("dm-1-2", b)
        _ = await chat.send("send_message", ["room": "dm-1-2", "message": "See you Monday"], from: b)
        bob.disabled = true
        try await chat.repository.updateUser(bob)
        let joined = await chat.join("dm-1-2", a)
        #expect(joined.ack?["messages"]?.arrayValue?.last?["message"] == "See you Monday")
        #expect(joined.ack?["room"]?["peer"] == userJSON(bob))
    }

    @Test func openDirectSharesTheJoinBucket() async throws {
        var limits = ChatService.Limits()
        limits.joinBurst = 1
        limits.joinRate = 0.001
        let chat = try await Chat(limits: limits)
        let ann = try await chat.user("ann")
        _ = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        #expect(await chat.send("open_direct", ["user": "bob"], from: a).ack?["ok"] == true)
        #expect(await chat.send("open_direct", ["user": "bob"], from: a).ack == refusal("rate_limited", "slow down"))
    }
}
