import ChatModel
import ChatService
import SocketIOProtocol
import Testing

@Suite("get_rooms, rooms_list, join_room, leave_room")
struct RoomEventTests {
    @Test func aHugeRoomNameIsNotEchoedBackWhole() async throws {
        let chat = try await Chat()
        let (c1, _) = try chat.connect(try await chat.user("ann"), "c1")
        let ack = await chat.join(String(repeating: "x", count: 100_000), c1).ack
        #expect(ack?["error"]?["code"] == "room_not_found")
        #expect(ack?["error"]?["message"] == .string("no room named '\(String(repeating: "x", count: 64))…'"))
    }

    @Test func getRoomsAcksTheListAndEmitsRoomsList() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (c1, _) = try chat.connect(ann, "c1")
        await chat.join("general", c1)

        let run = await chat.send("get_rooms", from: c1)

        let rooms: JSONValue = [
            [
                "name": "general", "description": "General fitness discussion", "is_private": false, "kind": "public",
                "online": 1,
                "participants": 1, "joined": true, "last_id": 1, "last_read": 1, "unread": 0, "unread_capped": false,
                "mentions": 0, "muted_until": nil, "banned": false, "ban_reason": nil, "moderates": false,
            ],
            [
                "name": "nutrition", "description": "Meal planning", "is_private": false, "kind": "public", "online": 0,
                "participants": 0, "joined": false, "last_id": nil, "last_read": nil, "unread": 0,
                "unread_capped": false, "mentions": 0, "muted_until": nil, "banned": false, "ban_reason": nil,
                "moderates": false,
            ],
        ]
        #expect(
            run.steps == [
                .effect(.deliver(Delivery(.connection(id("c1")), "rooms_list", ["rooms": rooms]))),
                .ack(["ok": true, "rooms": rooms]),
            ])
    }

    @Test func aPrivateRoomIsListedOnlyToItsMembers() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        try await chat.addMember(ann, to: chat.coaches)
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")

        let names: (Run) -> [String] = { run in
            run.ack?["rooms"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        #expect(names(await chat.send("get_rooms", from: a)) == ["general", "nutrition", "coaches"])
        #expect(names(await chat.send("get_rooms", from: b)) == ["general", "nutrition"])
    }

    @Test func theRoomsListAtConnectFollowsStatusAndHidesOthersPrivateRooms() async throws {
        let chat = try await Chat()
        let bob = try await chat.user("bob")
        let (_, run) = try chat.connect(bob, "b")
        #expect(run.steps.map(\.eventName) == ["status", "rooms_list"])
        #expect(
            run.deliveries[0]
                == Delivery(
                    .connection(id("b")), "status",
                    [
                        "connected": true, "user": userJSON(bob),
                        "preferences": ["share_read_receipts": true],
                    ]))
        let listed = run.deliveries("rooms_list").first?.payload["rooms"]?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(listed == ["general", "nutrition"])
    }

    @Test func archivedRoomsAreNotListedAndCannotBeJoined() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        _ = try await chat.repository.archiveRoom(named: "nutrition")

        let listed = await chat.send("get_rooms", from: a).ack?["rooms"]?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(listed == ["general"])
        #expect(await chat.join("nutrition", a).steps == [.ack(refusal("room_not_found", "no room named 'nutrition'"))])
    }

    @Test func joinEntersTheRoomBeforeReadingHistoryThenAnnouncesToTheOthers() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        await chat.join("general", b)
        chat.clock.advance(seconds: 1)

        let run = await chat.join("general", a)

        let joinMessage = try #require(try chat.repository.latestMessages(room: chat.general.id, limit: 1).first)
        #expect(joinMessage.type == .join && joinMessage.userID == ann.id && joinMessage.text == "joined the room")
        let history = try chat.repository.latestMessages(room: chat.general.id, limit: 50)
        let fields: JSONValue = [
            "room": [
                "name": "general", "description": "General fitness discussion", "is_private": false, "kind": "public",
            ],
            "messages": .array(
                history.map { ChatJSON.message($0, room: chat.general, user: $0.userID == ann.id ? ann : bob) }),
            "has_more": false,
            "participants": [
                ["user": userJSON(ann), "online": true, "last_active": "2026-11-24T18:05:10.123Z", "last_read": 2],
                ["user": userJSON(bob), "online": true, "last_active": "2026-11-24T18:05:09.123Z", "last_read": 1],
            ],
            "last_read": nil,
        ]
        #expect(
            run.steps == [
                .effect(.hold(id("a"), room: "general")),
                .effect(.join(id("a"), room: "general")),
                .effect(.deliver(Delivery(.connection(id("a")), "room_joined", fields))),
                .effect(
                    .deliver(
                        Delivery(
                            .room("general", except: id("a")), "new_message",
                            ChatJSON.message(joinMessage, room: chat.general, user: ann)))),
                .effect(
                    .deliver(
                        Delivery(
                            .room("general", except: id("a")), "user_joined",
                            ["room": "general", "user": userJSON(ann)]))),
                .ack(.object([("ok", true)] + (fields.objectPairs))),
                // Held broadcasts go after the ack, less the messages it carried (up to ann's join message).
                .effect(.release(id("a"), room: "general", through: joinMessage.id)),
            ])
    }

    @Test func joiningAgainStoresNoSecondJoinMessage() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        let again = await chat.join("general", a)
        #expect(again.deliveries("new_message").isEmpty)
        #expect(again.deliveries("user_joined").count == 1)
        #expect(try chat.repository.latestMessages(room: chat.general.id, limit: 10).count == 1)
    }

    @Test func historyIsTheLatestFiftyOldestFirstWithHasMore() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        _ = try await chat.repository.join(room: chat.general.id, user: ann.id)
        for n in 1...60 {
            _ = try await chat.repository.append(NewMessage(roomID: chat.general.id, userID: ann.id, text: "m\(n)"))
        }
        let (a, _) = try chat.connect(ann, "a")

        let ack = try #require(await chat.join("general", a).ack)
        let texts = ack["messages"]?.arrayValue?.compactMap { $0["message"]?.stringValue }
        #expect(texts == (11...60).map { "m\($0)" })
        #expect(ack["has_more"] == true)
    }

    @Test func joinRefusals() async throws {
        let chat = try await Chat()
        let bob = try await chat.user("bob")
        let (b, _) = try chat.connect(bob, "b")
        #expect(await chat.join("gym", b).steps == [.ack(refusal("room_not_found", "no room named 'gym'"))])
        #expect(await chat.join("General", b).steps == [.ack(refusal("room_not_found", "no room named 'General'"))])
        // A private room the user is not a member of answers exactly like a missing one.
        #expect(await chat.join("coaches", b).steps == [.ack(refusal("room_not_found", "no room named 'coaches'"))])
        #expect(
            await chat.send("join_room", from: b).steps
                == [.ack(refusal("invalid_request", "expected an object like {\"room\": \"general\"}"))])
        #expect(
            await chat.send("join_room", "general", from: b).steps
                == [.ack(refusal("invalid_request", "expected an object like {\"room\": \"general\"}"))])
        #expect(
            await chat.send("join_room", ["room": 7], from: b).steps == [
                .ack(refusal("invalid_request", "'room' must be a room name"))
            ])
        #expect(try chat.repository.rooms(ofUser: bob.id).isEmpty)
    }

    @Test func aMemberJoinsTheirPrivateRoom() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        try await chat.addMember(ann, to: chat.coaches)
        let (a, _) = try chat.connect(ann, "a")
        let run = await chat.join("coaches", a)
        #expect(run.ack?["ok"] == true)
        #expect(
            run.ack?["room"] == [
                "name": "coaches", "description": "Coaches only", "is_private": true, "kind": "private",
            ])
    }

    @Test func joinsAreRateLimitedPerUserAndRefill() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        let (a2, _) = try chat.connect(ann, "a2")
        for _ in 0..<10 {
            await chat.join("general", a)
            await chat.join("general", a2)
        }
        // 20 joins is the burst, whichever connection made them.
        #expect(await chat.join("general", a).steps == [.ack(refusal("rate_limited", "slow down"))])
        chat.clock.advance(seconds: 0.5)  // two per second
        #expect(await chat.join("general", a).ack?["ok"] == true)
        #expect(await chat.join("general", a).steps == [.ack(refusal("rate_limited", "slow down"))])
    }

    @Test func leavesShareTheJoinBudgetAndRoomsListsTheReadBudget() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        // Join and leave in turn: 20 in all is the burst, leaves counted like joins.
        for i in 0..<20 {
            let step =
                i.isMultiple(of: 2)
                ? await chat.join("general", a) : await chat.send("leave_room", ["room": "general"], from: a)
            #expect(step.ack?["ok"] == true, "step \(i)")
        }
        #expect(await chat.send("leave_room", ["room": "general"], from: a).ack == refusal("rate_limited", "slow down"))
        // get_rooms: 30 is the read burst (each reads every room's counts).
        for _ in 0..<30 { #expect(await chat.send("get_rooms", [:], from: a).ack?["ok"] == true) }
        #expect(await chat.send("get_rooms", [:], from: a).ack == refusal("rate_limited", "slow down"))
        chat.clock.advance(seconds: 0.1)  // ten per second
        #expect(await chat.send("get_rooms", [:], from: a).ack?["ok"] == true)
    }

    @Test func leaveTakesEveryConnectionOutThenTellsTheRoom() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let (a1, _) = try chat.connect(ann, "a1")
        _ = try chat.connect(ann, "a2")
        let (b, _) = try chat.connect(bob, "b")
        await chat.join("general", a1)
        await chat.join("general", b)
        _ = await chat.send("typing_start", ["room": "general"], from: a1)

        let run = await chat.send("leave_room", ["room": "general"], from: a1)

        let leave = try #require(try chat.repository.latestMessages(room: chat.general.id, limit: 1).first)
        #expect(leave.type == .leave && leave.text == "left the room" && leave.userID == ann.id)
        #expect(
            run.steps == [
                .effect(.leave([id("a1"), id("a2")], room: "general")),
                .effect(
                    .deliver(
                        Delivery(
                            .roomExcludingUser("general", ann.id), "user_typing",
                            ["room": "general", "user": userJSON(ann), "typing": false]))),
                .effect(
                    .deliver(
                        Delivery(
                            .room("general", except: nil), "new_message",
                            ChatJSON.message(leave, room: chat.general, user: ann)))),
                .effect(
                    .deliver(
                        Delivery(
                            .room("general", except: nil), "user_left", ["room": "general", "user": userJSON(ann)]))),
                .ack(["ok": true, "room": "general"]),
            ])
        #expect(try chat.repository.participant(room: chat.general.id, user: ann.id) == nil)
    }

    @Test func leaveRefusals() async throws {
        let chat = try await Chat()
        let bob = try await chat.user("bob")
        let (b, _) = try chat.connect(bob, "b")
        #expect(
            await chat.send("leave_room", ["room": "general"], from: b).steps == [
                .ack(refusal("not_joined", "join 'general' first"))
            ])
        #expect(
            await chat.send("leave_room", ["room": "gym"], from: b).steps == [
                .ack(refusal("room_not_found", "no room named 'gym'"))
            ])
        #expect(
            await chat.send("leave_room", ["room": "coaches"], from: b).steps == [
                .ack(refusal("room_not_found", "no room named 'coaches'"))
            ])
        #expect(
            await chat.send("leave_room", [:], from: b).steps == [
                .ack(refusal("invalid_request", "'room' must be a room name"))
            ])
    }

    @Test func aMemberMayStillLeaveAnArchivedRoom() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, _) = try chat.connect(ann, "a")
        await chat.join("general", a)
        _ = try await chat.repository.archiveRoom(named: "general")
        #expect(await chat.send("leave_room", ["room": "general"], from: a).ack == ["ok": true, "room": "general"])
    }
}

extension Step {
    /// The event of a delivery ("status", "rooms_list"), for order checks.
    var eventName: String? {
        if case .effect(.deliver(let delivery)) = self { delivery.event } else { nil }
    }
}

extension JSONValue {
    var objectPairs: [(String, JSONValue)] {
        if case .object(let pairs) = self { pairs } else { [] }
    }
}
