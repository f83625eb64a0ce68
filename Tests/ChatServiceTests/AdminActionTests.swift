import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

@Suite("room_removed, rooms changed, revalidation")
struct AdminActionTests {
    @Test func aRemovedMemberLeavesOnEveryConnectionAndTheRoomIsTold() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        try await chat.addMember(ann, to: chat.coaches)
        try await chat.addMember(bob, to: chat.coaches)
        let (a1, _) = try chat.connect(ann, "a1")
        _ = try chat.connect(ann, "a2")
        _ = try chat.connect(bob, "b")
        await chat.join("coaches", a1)
        _ = await chat.send("typing_start", ["room": "coaches"], from: a1)
        // The admin CLI ends the membership in the store, then tells the daemon.
        let leave = try #require(try await chat.repository.leave(room: chat.coaches.id, user: ann.id))

        let run = chat.run(chat.service.memberRemoved(roomNamed: "coaches", userNamed: "ann"))

        let annRooms: JSONValue = [
            [
                "name": "general", "description": "General fitness discussion", "is_private": false, "kind": "public",
                "online": 0,
                "participants": 0, "joined": false, "last_id": nil, "last_read": nil, "unread": 0,
                "unread_capped": false, "mentions": 0, "muted_until": nil, "banned": false, "ban_reason": nil,
                "moderates": false,
            ],
            [
                "name": "nutrition", "description": "Meal planning", "is_private": false, "kind": "public", "online": 0,
                "participants": 0, "joined": false, "last_id": nil, "last_read": nil, "unread": 0,
                "unread_capped": false, "mentions": 0, "muted_until": nil, "banned": false, "ban_reason": nil,
                "moderates": false,
            ],
        ]
        let bobRooms: JSONValue = .array(
            annRooms.arrayValue! + [
                [
                    "name": "coaches", "description": "Coaches only", "is_private": true, "kind": "private",
                    "online": 1, "participants": 1, "joined": true, "last_id": 3, "last_read": 2, "unread": 0,
                    "unread_capped": false, "mentions": 0, "muted_until": nil, "banned": false, "ban_reason": nil,
                    "moderates": false,
                ]
            ])
        #expect(
            run.steps == [
                .effect(.leave([id("a1"), id("a2")], room: "coaches")),
                .effect(
                    .deliver(
                        Delivery(
                            .connections([id("a1"), id("a2")]), "room_removed",
                            ["room": "coaches", "message": "You were removed from 'coaches'."]))),
                .effect(
                    .deliver(
                        Delivery(
                            .roomExcludingUser("coaches", ann.id), "user_typing",
                            ["room": "coaches", "user": userJSON(ann), "typing": false]))),
                .effect(
                    .deliver(
                        Delivery(
                            .room("coaches", except: nil), "new_message",
                            ChatJSON.message(leave, room: chat.coaches, user: ann)))),
                .effect(
                    .deliver(
                        Delivery(
                            .room("coaches", except: nil), "user_left", ["room": "coaches", "user": userJSON(ann)]))),
                .effect(.deliver(Delivery(.connections([id("a1"), id("a2")]), "rooms_list", ["rooms": annRooms]))),
                .effect(.deliver(Delivery(.connections([id("b")]), "rooms_list", ["rooms": bobRooms]))),
            ])
        // The removed member's connections can no longer type or send there.
        #expect(
            await chat.send("typing_start", ["room": "coaches"], from: a1).steps == [
                .ack(refusal("room_not_found", "no room named 'coaches'"))
            ])
    }

    @Test func unknownNamesInAnAdminNoticeChangeNothing() async throws {
        let chat = try await Chat()
        #expect(chat.run(chat.service.memberRemoved(roomNamed: "gym", userNamed: "nobody")).steps.isEmpty)
        #expect(chat.run(chat.service.revalidate(userNamed: "nobody")).steps.isEmpty)
    }

    @Test func roomsChangedSendsEachConnectionItsUsersList() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        try await chat.addMember(ann, to: chat.coaches)
        _ = try chat.connect(ann, "a")
        _ = try chat.connect(bob, "b")
        _ = try await chat.repository.archiveRoom(named: "nutrition")
        _ = try await chat.repository.createRoom(name: "progress", description: "Progress", isPrivate: false)

        let lists = chat.run(chat.service.roomsChanged()).deliveries("rooms_list").map { delivery in
            (delivery.audience, delivery.payload["rooms"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        }
        #expect(lists.map(\.0) == [.connections([id("a")]), .connections([id("b")])])
        #expect(lists.map(\.1) == [["general", "coaches", "progress"], ["general", "progress"]])
    }

    @Test func aDisabledUserIsDisconnectedOnEveryConnectionAndRefusedAfterwards() async throws {
        let chat = try await Chat()
        var ann = try await chat.user("ann", hostApp: true)
        let bob = try await chat.user("bob", hostApp: true)
        try await chat.repository.createSession(
            Session(tokenHash: [1, 2, 3], userID: ann.id, expiresAt: TestClock.start + 3_600_000_000))
        _ = try chat.connect(ann, "a1")
        _ = try chat.connect(ann, "a2", credential: .session(hash: [1, 2, 3]))
        _ = try chat.connect(bob, "b")
        #expect(chat.run(chat.service.revalidate(userNamed: "ann")).steps.isEmpty)

        ann.disabled = true  // `fitchat user disable ann`
        try await chat.repository.updateUser(ann)
        #expect(
            chat.run(chat.service.revalidate(userNamed: "ANN")).steps == [
                .effect(.disconnect(id("a1"))), .effect(.disconnect(id("a2"))),
            ])
        #expect(
            chat.service.admit(.success(ChatIdentity(user: ann, credential: .hostApp)), address: "10.0.0.1")
                == .failure(ChatError(.unauthorized, "unauthorized")))
    }

    @Test func revalidationKeepsValidCredentialsAndClosesEndedOnes() async throws {
        let chat = try await Chat()
        var ann = try await chat.user("ann", hostApp: true)
        try await chat.repository.createSession(
            Session(tokenHash: [1], userID: ann.id, expiresAt: TestClock.start + 3_600_000_000))
        _ = try chat.connect(ann, "app", credential: .hostApp)
        _ = try chat.connect(ann, "page", credential: .session(hash: [1]))
        #expect(chat.run(chat.service.revalidate(userNamed: "ann")).steps.isEmpty)

        _ = try await chat.repository.deleteSessions(ofUser: ann.id)
        #expect(chat.run(chat.service.revalidate(userNamed: "ann")).effects == [.disconnect(id("page"))])

        ann.hostApp = false  // `user unlink-host`
        try await chat.repository.updateUser(ann)
        #expect(
            chat.run(chat.service.revalidate(userNamed: "ann")).effects == [
                .disconnect(id("app")), .disconnect(id("page")),
            ])
    }

    @Test func aLogoutClosesOnlyTheConnectionsOfThatSession() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        _ = try chat.connect(ann, "s1", credential: .session(hash: [1]))
        _ = try chat.connect(ann, "s2", credential: .session(hash: [2]))
        _ = try chat.connect(ann, "s1b", credential: .session(hash: [1]))
        #expect(
            chat.run(chat.service.sessionEnded(hash: [1], userID: ann.id)).effects == [
                .disconnect(id("s1")), .disconnect(id("s1b")),
            ])
    }
}
