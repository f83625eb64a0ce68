import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol

/// What a binding sees, in the order it carries it out: effects, the ack, what follows the ack,
/// and the effects of each follow-up (`Outcome.next`) after that.
enum Step: Equatable {
    case effect(Effect)
    case ack(JSONValue)

    /// The payload of a delivery.
    var payload: JSONValue? {
        if case .effect(.deliver(let delivery)) = self { delivery.payload } else { nil }
    }
}

struct Run {
    var steps: [Step] = []
    var stored = false
    var faults: [String] = []
    var audit: [AuditEntry] = []

    var ack: JSONValue? {
        for case .ack(let value) in steps { return value }
        return nil
    }

    var effects: [Effect] { steps.compactMap { if case .effect(let effect) = $0 { effect } else { nil } } }

    var deliveries: [Delivery] { effects.compactMap { if case .deliver(let delivery) = $0 { delivery } else { nil } } }

    func deliveries(_ event: String) -> [Delivery] { deliveries.filter { $0.event == event } }

    /// Where a step sits, to assert an order.
    func index(of event: String) -> Int? {
        steps.firstIndex { if case .effect(.deliver(let d)) = $0 { d.event == event } else { false } }
    }

    var ackIndex: Int? { steps.firstIndex { if case .ack = $0 { true } else { false } } }
}

/// A chat over the in-memory repository and a test clock: rooms `general` and `nutrition`
/// (public), `coaches` (private), users made on demand.
struct Chat {
    let clock = TestClock()
    let repository: InMemoryChatRepository
    let service: ChatService
    let general: Room, nutrition: Room, coaches: Room

    init(limits: ChatService.Limits = .init()) async throws {
        repository = InMemoryChatRepository(clock: clock)
        service = ChatService(repository: repository, clock: clock, limits: limits)
        general = try await repository.createRoom(
            name: "general", description: "General fitness discussion", isPrivate: false)
        nutrition = try await repository.createRoom(name: "nutrition", description: "Meal planning", isPrivate: false)
        coaches = try await repository.createRoom(name: "coaches", description: "Coaches only", isPrivate: true)
    }

    func user(_ name: String, hostApp: Bool = false) async throws -> User {
        try await repository.createUser(
            name: name, displayName: name.capitalized, role: .member, passwordHash: nil, hostApp: hostApp)
    }

    /// Admits and connects, running the welcome follow-up too.
    func connect(
        _ user: User, _ id: String, address: String = "10.0.0.1",
        credential: ChatCredential = .hostApp
    ) throws -> (ChatConnection, Run) {
        let identity = try service.admit(.success(ChatIdentity(user: user, credential: credential)), address: address)
            .get()
        let connection = ChatConnection(id: ConnectionID(id), identity: identity, address: address)
        return (connection, run(service.connect(connection)))
    }

    func send(_ event: String, _ payload: JSONValue? = nil, from connection: ChatConnection) async -> Run {
        run(await service.handle(event, payload.map { [$0] } ?? [], from: connection))
    }

    /// Joins `room` and returns the run.
    @discardableResult
    func join(_ room: String, _ connection: ChatConnection) async -> Run {
        await send("join_room", ["room": .string(room)], from: connection)
    }

    /// A member of the private room (an admin's `room add-member`).
    func addMember(_ user: User, to room: Room) async throws {
        _ = try await repository.join(room: room.id, user: user.id)
    }

    func run(_ first: Outcome) -> Run {
        var result = Run()
        var outcome = first
        while true {
            result.steps += outcome.effects.map(Step.effect)
            if let ack = outcome.ack { result.steps.append(.ack(ack)) }
            result.steps += outcome.afterReply.map(Step.effect)
            result.stored = result.stored || outcome.stored
            if let fault = outcome.fault { result.faults.append(fault) }
            result.audit += outcome.audit
            guard let next = outcome.next else { return result }
            outcome = service.resume(next)
        }
    }
}

/// `{"ok":false,"error":{"code","message"}}`.
func refusal(_ code: String, _ message: String) -> JSONValue {
    ["ok": false, "error": ["code": .string(code), "message": .string(message)]]
}

func userJSON(_ user: User) -> JSONValue {
    ["id": .int(Int64(user.id)), "name": .string(user.name), "display_name": .string(user.displayName)]
}

func id(_ raw: String) -> ConnectionID { ConnectionID(raw) }
