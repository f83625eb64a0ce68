import ChatModel
import ChatService
import SocketIOProtocol
import Testing

/// Reports (issue 16): any participant reports someone else's message; the room's moderators
/// who are online hear of it once.
@Suite struct ReportTests {
    @Test func aReportReachesTheRoomsModeratorsOnce() async throws {
        let gym = try await ModerationTests.Gym()
        let chat = gym.chat
        let bob = try await chat.user("bob")
        let (bo, _) = try chat.connect(bob, "bo")
        await chat.join("general", bo)
        let sent = await chat.send("send_message", ["room": "general", "message": "buy pills"], from: gym.a)
        let id = sent.ack?["message"]?["id"] ?? .null
        let reported = await chat.send(
            "report_message", ["room": "general", "id": id, "reason": " spam "], from: bo)
        #expect(reported.ack?["duplicate"] == false)
        #expect(reported.ack?["report"]?["reason"] == "spam")
        #expect(reported.ack?["report"]?["message_id"] == id)
        let notices = reported.deliveries("message_reported")
        // The moderator and the admin, not the reporter, not the author.
        #expect(notices.map(\.audience) == [.connections([gym.d.id, gym.b.id])])
        #expect(notices.first?.payload["report"]?["reporter"] == userJSON(bob))
        #expect(notices.first?.payload["report"]?["message"]?["message"] == "buy pills")
        #expect(reported.audit.map(\.action) == [.report])
        #expect(reported.audit.first?.target == "ann")
        #expect(!(reported.audit.first?.fields.values.contains("buy pills") ?? true))
        // Again: the same report, nobody told twice.
        let again = await chat.send("report_message", ["room": "general", "id": id, "reason": "really"], from: bo)
        #expect(again.ack?["duplicate"] == true)
        #expect(again.ack?["report"]?["id"] == reported.ack?["report"]?["id"])
        #expect(again.deliveries("message_reported").isEmpty)
        #expect(try chat.repository.reports(includeResolved: false).count == 1)
    }

    @Test func aModeratorOfPublicRoomsHearsNothingOfAPrivateRoom() async throws {
        let gym = try await ModerationTests.Gym()
        let chat = gym.chat
        let bob = try await chat.user("bob")
        let (bo, _) = try chat.connect(bob, "bo")
        for user in [gym.ann, bob, gym.desk] { try await chat.addMember(user, to: chat.coaches) }
        await chat.join("coaches", gym.a)
        await chat.join("coaches", bo)
        let sent = await chat.send("send_message", ["room": "coaches", "message": "x"], from: gym.a)
        let reported = await chat.send(
            "report_message", ["room": "coaches", "id": sent.ack?["message"]?["id"] ?? .null, "reason": "rude"],
            from: bo)
        #expect(reported.deliveries("message_reported").map(\.audience) == [.connections([gym.b.id])])
    }

    @Test func whatCannotBeReported() async throws {
        let gym = try await ModerationTests.Gym()
        let chat = gym.chat
        let own = await chat.send("send_message", ["room": "general", "message": "mine"], from: gym.a)
        let ownID = own.ack?["message"]?["id"] ?? .null
        func code(_ payload: JSONValue, _ from: ChatConnection) async -> JSONValue? {
            await chat.send("report_message", payload, from: from).ack?["error"]?["code"]
        }
        #expect(await code(["room": "general", "id": ownID, "reason": "x"], gym.a) == "invalid_request")
        #expect(await code(["room": "general", "id": ownID], gym.d) == "invalid_request")
        #expect(await code(["room": "general", "id": ownID, "reason": "  "], gym.d) == "invalid_request")
        #expect(
            await code(["room": "general", "id": ownID, "reason": .string(String(repeating: "x", count: 501))], gym.d)
                == "invalid_request")
        #expect(await code(["room": "general", "id": 999, "reason": "x"], gym.d) == "message_not_found")
        #expect(await code(["room": "nutrition", "id": ownID, "reason": "x"], gym.d) == "not_joined")
        await chat.join("nutrition", gym.d)
        #expect(await code(["room": "nutrition", "id": ownID, "reason": "x"], gym.d) == "message_not_found")
        #expect(await code(["room": "coaches", "id": ownID, "reason": "x"], gym.d) == "room_not_found")
        // The join message is no one's words.
        let first = try chat.repository.latestMessages(room: chat.general.id, limit: 50).first { $0.type == .join }
        #expect(
            await code(["room": "general", "id": .int(Int64(first!.id)), "reason": "x"], gym.d) == "invalid_request")
        _ = await chat.send("delete_message", ["room": "general", "id": ownID], from: gym.a)
        #expect(await code(["room": "general", "id": ownID, "reason": "x"], gym.b) == "message_not_found")
    }

    @Test func reportsAreRateLimited() async throws {
        let gym = try await ModerationTests.Gym()
        let chat = gym.chat
        var codes: [JSONValue?] = []
        for index in 0..<6 {
            let sent = await chat.send(
                "send_message", ["room": "general", "message": .string("m\(index)")], from: gym.a)
            let answer = await chat.send(
                "report_message", ["room": "general", "id": sent.ack?["message"]?["id"] ?? .null, "reason": "x"],
                from: gym.d)
            codes.append(answer.ack?["error"]?["code"])
        }
        #expect(codes == [nil, nil, nil, nil, nil, "rate_limited"])
    }

    @Test func moderatorsListAndResolveTheReportsOfTheirRooms() async throws {
        let gym = try await ModerationTests.Gym()
        let chat = gym.chat
        let bob = try await chat.user("bob")
        let (bo, _) = try chat.connect(bob, "bo")
        for user in [gym.ann, bob] { try await chat.addMember(user, to: chat.coaches) }
        await chat.join("general", bo)
        await chat.join("coaches", gym.a)
        await chat.join("coaches", bo)
        let spam = await chat.send("send_message", ["room": "general", "message": "spam"], from: gym.a)
        let secret = await chat.send("send_message", ["room": "coaches", "message": "rude"], from: gym.a)
        for (room, sent) in [("general", spam), ("coaches", secret)] {
            _ = await chat.send(
                "report_message", ["room": .string(room), "id": sent.ack?["message"]?["id"] ?? .null, "reason": "x"],
                from: bo)
        }
        func listed(_ from: ChatConnection, _ payload: JSONValue? = nil) async -> [JSONValue] {
            await chat.send("get_reports", payload, from: from).ack?["reports"]?.arrayValue ?? []
        }
        // The admin sees both, newest first; the moderator the public room's; a member nothing.
        #expect(await listed(gym.b).map { $0["room"] } == ["coaches", "general"])
        let deskList = await listed(gym.d)
        #expect(deskList.map { $0["room"] } == ["general"])
        #expect(deskList.first?["reporter"] == userJSON(bob) && deskList.first?["author"] == userJSON(gym.ann))
        #expect(deskList.first?["message"]?["message"] == "spam")
        #expect(await chat.send("get_reports", from: bo).ack?["error"]?["code"] == "forbidden")
        // A moderator cannot resolve the private room's report, nor tell it exists.
        let coachesReport = await listed(gym.b).first?["id"] ?? .null
        let refused = await chat.send("resolve_report", ["id": coachesReport], from: gym.d)
        #expect(
            refused.ack == refusal("invalid_request", "no report \(coachesReport.intValue ?? 0) of a room you moderate")
        )
        let generalReport = deskList.first?["id"] ?? .null
        let resolved = await chat.send("resolve_report", ["id": generalReport], from: gym.d)
        #expect(resolved.ack?["report"]?["resolved_by"] == "desk")
        #expect(resolved.deliveries("report_resolved").map(\.audience) == [.connections([gym.b.id])])
        #expect(resolved.audit.map(\.action) == [.resolveReport])
        #expect(await listed(gym.d).isEmpty)
        #expect(await listed(gym.d, ["include_resolved": true]).count == 1)
        // Again: still resolved by desk, no second journal entry.
        #expect(await chat.send("resolve_report", ["id": generalReport], from: gym.b).audit.isEmpty)
        #expect(await chat.send("resolve_report", ["id": "1"], from: gym.b).ack?["error"]?["code"] == "invalid_request")
    }
}
