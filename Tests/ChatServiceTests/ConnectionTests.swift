import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

@Suite("admission, presence, disconnect")
struct ConnectionTests {
    @Test func noIdentityOrADisabledUserIsUnauthorized() async throws {
        let chat = try await Chat()
        var ann = try await chat.user("ann")
        #expect(
            chat.service.admit(.success(nil), address: "10.0.0.1") == .failure(ChatError(.unauthorized, "unauthorized"))
        )
        ann.disabled = true
        #expect(
            chat.service.admit(.success(ChatIdentity(user: ann, credential: .hostApp)), address: "10.0.0.1")
                == .failure(ChatError(.unauthorized, "unauthorized")))
    }

    @Test func aFailedLookupIsAnInternalErrorNotUnauthorized() async throws {
        let chat = try await Chat()
        #expect(
            chat.service.admit(.failure(InMemoryChatRepository.Failure()), address: "10.0.0.1")
                == .failure(ChatError(.internalError, "something went wrong; try again")))
    }

    @Test func connectionsPerAddressAreCappedAndFreedAgain() async throws {
        var limits = ChatService.Limits()
        limits.maxConnectionsPerIP = 2
        let chat = try await Chat(limits: limits)
        let ann = try await chat.user("ann")
        let identity = ChatIdentity(user: ann, credential: .hostApp)
        let (a1, _) = try chat.connect(ann, "a1", address: "10.0.0.1")
        // Admitted but not yet connected holds a slot too.
        #expect(chat.service.admit(.success(identity), address: "10.0.0.1") == .success(identity))
        #expect(chat.service.admit(.success(identity), address: "10.0.0.1") == .failure(.rateLimited))
        #expect(chat.service.admit(.success(identity), address: "10.0.0.2") == .success(identity))
        chat.service.abandon(address: "10.0.0.1")
        #expect(chat.service.admit(.success(identity), address: "10.0.0.1") == .success(identity))
        _ = chat.service.disconnect(a1)
        #expect(chat.service.admit(.success(identity), address: "10.0.0.1") == .success(identity))
        #expect(chat.service.admit(.success(identity), address: "10.0.0.1") == .failure(.rateLimited))
    }

    @Test func presenceOnTheFirstConnectionAndTheLastDisconnectOnly() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        _ = try await chat.repository.join(room: chat.general.id, user: ann.id)
        _ = try await chat.repository.join(room: chat.nutrition.id, user: ann.id)
        let online: JSONValue = ["user": userJSON(ann), "online": true]
        let offline: JSONValue = ["user": userJSON(ann), "online": false]

        let (a1, first) = try chat.connect(ann, "a1")
        #expect(first.steps.map(\.eventName) == ["status", "presence", "rooms_list"])
        #expect(first.deliveries("presence") == [Delivery(.rooms(["general", "nutrition"]), "presence", online)])
        #expect(chat.service.connectedUsers == 1)

        let (a2, second) = try chat.connect(ann, "a2")
        #expect(second.deliveries("presence").isEmpty)
        #expect(chat.service.connectionCount == 2 && chat.service.connectedUsers == 1)

        #expect(chat.run(chat.service.disconnect(a1)).steps.isEmpty)
        #expect(
            chat.run(chat.service.disconnect(a2)).steps == [
                .effect(.deliver(Delivery(.rooms(["general", "nutrition"]), "presence", offline)))
            ])
        #expect(chat.service.connectedUsers == 0 && chat.service.connectionCount == 0)
    }

    @Test func aUserInNoRoomAnnouncesPresenceToNobody() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let (a, run) = try chat.connect(ann, "a")
        #expect(run.deliveries("presence").isEmpty)
        #expect(chat.run(chat.service.disconnect(a)).steps.isEmpty)
    }

    @Test func theRoomsListCountsWhoIsOnline() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        _ = try await chat.repository.join(room: chat.general.id, user: ann.id)
        _ = try await chat.repository.join(room: chat.general.id, user: bob.id)
        let (b, _) = try chat.connect(bob, "b")
        let general = await chat.send("get_rooms", from: b).ack?["rooms"]?.arrayValue?.first
        #expect(general?["online"] == 1 && general?["participants"] == 2)
        _ = try chat.connect(ann, "a")
        #expect(await chat.send("get_rooms", from: b).ack?["rooms"]?.arrayValue?.first?["online"] == 2)
    }

    @Test func historyShowsWhoIsOnline() async throws {
        let chat = try await Chat()
        let ann = try await chat.user("ann")
        let bob = try await chat.user("bob")
        _ = try await chat.repository.join(room: chat.general.id, user: bob.id)
        let (a, _) = try chat.connect(ann, "a")
        let participants = await chat.join("general", a).ack?["participants"]?.arrayValue
        #expect(participants?.map { $0["online"] } == [true, false])  // ann (id 1) online, bob offline
    }
}
