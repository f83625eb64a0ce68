import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

/// `search` (issue 16), without sockets: the request's checks, the rooms searched (never one the
/// caller cannot read), the answer's shape and paging.
@Suite("search")
struct SearchTests {
    /// ann and bob in general; ann in the private `coaches`; bob and carl's direct room.
    struct Fixture {
        let chat: Chat
        let ann: User, bob: User, carl: User
        let a: ChatConnection, b: ChatConnection, c: ChatConnection
    }

    func fixture() async throws -> Fixture {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        let carl = try await chat.user("carl")
        let (a, _) = try chat.connect(ann, "a")
        let (b, _) = try chat.connect(bob, "b")
        let (c, _) = try chat.connect(carl, "c")
        try await chat.addMember(ann, to: chat.coaches)
        await chat.join("general", a)
        await chat.join("general", b)
        await chat.join("coaches", a)
        return Fixture(chat: chat, ann: ann, bob: bob, carl: carl, a: a, b: b, c: c)
    }

    @discardableResult
    func send(_ chat: Chat, _ text: String, in room: String, from connection: ChatConnection) async throws -> JSONValue
    {
        let run = await chat.send("send_message", ["room": .string(room), "message": .string(text)], from: connection)
        return try #require(run.ack?["message"], "\(String(describing: run.ack))")
    }

    func search(_ chat: Chat, _ payload: JSONValue, from connection: ChatConnection) async -> JSONValue? {
        await chat.send("search", payload, from: connection).ack
    }

    /// The ids of an ack's results.
    func ids(_ ack: JSONValue?) -> [Int64] {
        (ack?["results"]?.arrayValue ?? []).compactMap { $0["message"]?["id"]?.intValue }
    }

    @Test func resultsCarryTheMessageAsHistoryHasItAndItsRoom() async throws {
        let f = try await fixture()
        let sent = try await send(f.chat, "Übung macht den Meister", in: "general", from: f.a)
        _ = await f.chat.send("react", ["room": "general", "id": sent["id"]!, "emoji": "💪", "on": true], from: f.b)
        let history = await f.chat.send("get_history", ["room": "general"], from: f.a).ack
        let asHistoryHasIt = try #require(history?["messages"]?.arrayValue?.last)
        #expect(asHistoryHasIt["reactions"]?.arrayValue?.count == 1)
        for query in ["ubung", "ÜBUNG", "übung meis", "Meister"] {
            let ack = await search(f.chat, ["query": .string(query)], from: f.b)
            #expect(
                ack == [
                    "ok": true, "results": [["room": "general", "message": asHistoryHasIt]], "next_before": .null,
                ],
                "\(query)")
        }
        #expect(
            await search(f.chat, ["query": "meist macht"], from: f.b) == [
                "ok": true, "results": [], "next_before": .null,
            ])
    }

    @Test func aPrivateRoomIsSearchedOnlyByItsMembersAndADirectRoomOnlyByItsTwo() async throws {
        let f = try await fixture()
        try await send(f.chat, "squat form in general", in: "general", from: f.a)
        try await send(f.chat, "squat secrets of the coaches", in: "coaches", from: f.a)
        let dm = await f.chat.send("open_direct", ["user": "carl"], from: f.b).ack?["room"]?["name"]?.stringValue
        let dmName = try #require(dm)
        try await send(f.chat, "squat together tomorrow?", in: dmName, from: f.b)

        let rooms = { (ack: JSONValue?) in (ack?["results"]?.arrayValue ?? []).compactMap { $0["room"]?.stringValue } }
        #expect(rooms(await search(f.chat, ["query": "squat"], from: f.a)) == ["coaches", "general"])
        #expect(rooms(await search(f.chat, ["query": "squat"], from: f.b)) == [dmName, "general"])
        #expect(rooms(await search(f.chat, ["query": "squat"], from: f.c)) == [dmName, "general"])
        // Naming a room one cannot read answers as a missing room does.
        for (room, connection) in [("coaches", f.b), (dmName, f.a), ("nowhere", f.a)] {
            #expect(
                await search(f.chat, ["query": "squat", "room": .string(room)], from: connection)
                    == refusal("room_not_found", "no room named '\(room)'"), "\(room)")
        }
        #expect(rooms(await search(f.chat, ["query": "squat", "room": "coaches"], from: f.a)) == ["coaches"])
        #expect(rooms(await search(f.chat, ["query": "secrets"], from: f.b)) == [])
        // An archived room is no longer searched.
        _ = try await f.chat.repository.archiveRoom(named: "general")
        #expect(rooms(await search(f.chat, ["query": "squat"], from: f.a)) == ["coaches"])
    }

    @Test func pagesGoNewestFirstWithACursor() async throws {
        let f = try await fixture()
        var sent: [Int64] = []
        for n in 1...7 {
            sent.append(
                try #require(try await send(f.chat, "set \(n) of squats", in: "general", from: f.a)["id"]?.intValue))
        }
        try await send(f.chat, "rest day", in: "general", from: f.a)
        let first = await search(f.chat, ["query": "squ", "limit": 3], from: f.b)
        #expect(ids(first) == [sent[6], sent[5], sent[4]])
        #expect(first?["next_before"] == .int(sent[4]))
        let second = await search(f.chat, ["query": "squ", "limit": 3, "before": .int(sent[4])], from: f.b)
        #expect(ids(second) == [sent[3], sent[2], sent[1]] && second?["next_before"] == .int(sent[1]))
        let last = await search(f.chat, ["query": "squ", "limit": 3, "before": .int(sent[1])], from: f.b)
        #expect(ids(last) == [sent[0]] && last?["next_before"] == .null)
        // Words in any order; the last one a prefix; the default page (20) holds them all.
        #expect(ids(await search(f.chat, ["query": "squats set"], from: f.b)).count == 7)
        #expect(ids(await search(f.chat, ["query": "squats sets"], from: f.b)).count == 0)
        #expect(ids(await search(f.chat, ["query": "of squats"], from: f.b)).count == 7)
    }

    @Test func editsAndDeletesAreFoundAsTheyAreNow() async throws {
        let f = try await fixture()
        let sent = try await send(f.chat, "Leg dya tomorrow", in: "general", from: f.a)
        let id = try #require(sent["id"])
        _ = await f.chat.send("edit_message", ["room": "general", "id": id, "message": "Leg day tomorrow"], from: f.a)
        #expect(ids(await search(f.chat, ["query": "dya"], from: f.b)) == [])
        let found = await search(f.chat, ["query": "leg day"], from: f.b)
        #expect(found?["results"]?.arrayValue?.first?["message"]?["is_edited"] == true)
        _ = await f.chat.send("delete_message", ["room": "general", "id": id], from: f.a)
        #expect(ids(await search(f.chat, ["query": "leg"], from: f.b)) == [])
    }

    @Test func badRequestsAreInvalid() async throws {
        let f = try await fixture()
        let cases: [(JSONValue?, String)] = [
            (nil, "expected an object like {\"query\": \"squat\"}"),
            ("squat", "expected an object like {\"query\": \"squat\"}"),
            (["room": "general"], "'query' must be a string"),
            (["query": 5], "'query' must be a string"),
            (["query": "   "], "'query' must be 1 to 200 characters"),
            (["query": .string(String(repeating: "a", count: 201))], "'query' must be 1 to 200 characters"),
            (["query": "💪 ?!"], "'query' holds no word to search for (letters or digits)"),
            (["query": "a b c d e f g h i"], "'query' may hold at most 8 words"),
            (["query": "squat", "room": 3], "'room' must be a room name"),
            (["query": "squat", "limit": 0], "'limit' must be a whole number from 1 to 50"),
            (["query": "squat", "limit": 51], "'limit' must be a whole number from 1 to 50"),
            (["query": "squat", "limit": "5"], "'limit' must be a whole number from 1 to 50"),
            (["query": "squat", "before": 0], "'before' must be a message id (a whole number above 0)"),
            (["query": "squat", "before": -3], "'before' must be a message id (a whole number above 0)"),
        ]
        for (payload, message) in cases {
            #expect(
                await f.chat.send("search", payload, from: f.a).ack == refusal("invalid_request", message),
                "\(String(describing: payload))")
        }
        #expect(
            ChatEvent.decode("search", [["query": " Leg DAY squ ", "room": .null, "limit": 50, "before": 9]])
                == .success(
                    .search(query: SearchQuery(exact: ["leg", "day"], prefix: "squ"), room: nil, before: 9, limit: 50)))
    }

    @Test func searchesShareTheReadsBucket() async throws {
        let f = try await fixture()
        var refused = 0
        for _ in 0..<200 where await f.chat.send("search", ["query": "squat"], from: f.a).ack?["ok"] == false {
            refused += 1
        }
        #expect(refused > 0)
        #expect(
            await f.chat.send("get_history", ["room": "general"], from: f.a).ack == refusal("rate_limited", "slow down")
        )
    }
}
