import ChatModel
import SocketIOProtocol

/// The chat's rules, without sockets: who may connect, what each event of the contract does,
/// presence, typing and limits, and what admin actions mean for connected clients. Every call
/// returns an `Outcome` — the ack and the broadcasts as values — that a binding (Socket.IO in
/// ChatGateway) carries out in order.
///
/// Durable first: an outcome that announces a write is only made after the repository's write
/// returned, i.e. after the commit is on disk; `send_message`'s broadcast is in `afterReply`, so the
/// sender sees its ack first.
///
/// State (presence, typing, rate limiters, connections by user, connections per address) lives in
/// `state`, one lock, held only for short in-memory steps: never across an `await` or a repository
/// call. The time comes from the injected clock only.
public final class ChatService: Sendable {
    public let limits: Limits
    let repository: any ChatRepository
    let clock: any ChatClock
    let state: Locked<ServiceState>

    public init(repository: any ChatRepository, clock: any ChatClock, limits: Limits = Limits()) {
        self.repository = repository
        self.clock = clock
        self.limits = limits
        state = Locked(ServiceState(limits: limits))
    }

    static let internalError = ChatError(.internalError, "something went wrong; try again")

    // MARK: Admission

    /// Decides a CONNECT: no identity (or a disabled user) is `unauthorized`; a failed lookup is
    /// `internal_error` (`storage_full` when it had to write and the disk is full); an address already holding `maxConnectionsPerIP` is `rate_limited`.
    /// An admitted connection holds a slot of its address until `disconnect` or `abandon`; the
    /// slot is taken under the same lock as the check, so simultaneous CONNECTs cannot overshoot.
    public func admit(_ authentication: Result<ChatIdentity?, any Error>, address: String) -> Result<
        ChatIdentity, ChatError
    > {
        let found: ChatIdentity?
        switch authentication {
        case .success(let identity): found = identity
        // A host-app token's first connection creates its user: on a full disk it cannot.
        case .failure(RepositoryError.storageFull): return .failure(.storageFull)
        case .failure: return .failure(Self.internalError)
        }
        guard let identity = found, !identity.user.disabled else {
            return .failure(ChatError(.unauthorized, "unauthorized"))
        }
        let admitted = state.withLock { state in
            guard state.connectionsPerAddress[address, default: 0] < limits.maxConnectionsPerIP else { return false }
            state.connectionsPerAddress[address, default: 0] += 1
            return true
        }
        return admitted ? .success(identity) : .failure(.rateLimited)
    }

    /// An admitted CONNECT whose transport went away before it became a connection.
    public func abandon(address: String) {
        state.withLock { $0.releaseSlot(of: address) }
    }

    // MARK: Connections

    /// An admitted connection is open: it gets `status` now; `next` brings presence (on the user's
    /// first connection) and `rooms_list`, which read the repository.
    public func connect(_ connection: ChatConnection) -> Outcome {
        let cameOnline = state.withLock { state in
            state.connectionsByUser[connection.user.id, default: []].append(connection)
            return state.presence.connected(connection.user.id)
        }
        var outcome = Outcome()
        outcome.effects = [
            .deliver(
                Delivery(
                    .connection(connection.id), "status",
                    [
                        "connected": true, "user": ChatJSON.user(connection.user),
                        "preferences": ChatJSON.preferences(connection.identity.preferences),
                    ]))
        ]
        outcome.next = FollowUp(step: .welcome(connection, cameOnline: cameOnline))
        return outcome
    }

    /// A connection closed: its address slot is freed, whatever its user was typing stops, and
    /// presence says offline when it was their last connection.
    public func disconnect(_ connection: ChatConnection) -> Outcome {
        let user = connection.user.id
        let (wentOffline, stoppedTyping) = state.withLock { state in
            state.connectionsByUser[user]?.removeAll { $0.id == connection.id }
            if state.connectionsByUser[user]?.isEmpty == true { state.connectionsByUser.removeValue(forKey: user) }
            state.releaseSlot(of: connection.address)
            return (state.presence.disconnected(user), state.typing.clear(user: user))
        }
        // The announcements read the repository: `next`, so the binding runs them off the event loop.
        guard !stoppedTyping.isEmpty || wentOffline else { return Outcome() }
        var outcome = Outcome()
        outcome.next = FollowUp(step: .farewell(connection, stoppedTyping: stoppedTyping, wentOffline: wentOffline))
        return outcome
    }

    /// Continues a call after its first effects were carried out (see `Outcome.next`).
    public func resume(_ followUp: FollowUp) -> Outcome {
        switch followUp.step {
        case .welcome(let connection, let cameOnline):
            var outcome = Outcome()
            if cameOnline { outcome.effects += presenceAnnouncement(of: connection.user, online: true) }
            if let rooms = try? roomsList(for: connection.user) {
                outcome.effects.append(.deliver(Delivery(.connection(connection.id), "rooms_list", ["rooms": rooms])))
            }
            return outcome
        case .roomJoined(let connection, let room, let membership, let since):
            return releasingOnFailure(connection, [room.name]) {
                answeringNow { try roomJoined(connection, room, membership, since: since) }
            }
        case .roomsResumed(let connection, let rooms):
            return releasingOnFailure(connection, rooms.map(\.name)) {
                answeringNow { try roomsResumed(connection, rooms) }
            }
        case .farewell(let connection, let stoppedTyping, let wentOffline):
            var outcome = Outcome()
            outcome.effects = stoppedTyping.flatMap { typingAnnouncement($0, typing: false) }
            if wentOffline { outcome.effects += presenceAnnouncement(of: connection.user, online: false) }
            return outcome
        }
    }

    // MARK: What the binding reports

    public var connectedUsers: Int { state.withLock { $0.presence.onlineUsers.count } }
    public var connectionCount: Int { state.withLock { $0.connectionCount } }

    /// The open connections of a user, oldest first.
    public func connections(of user: UserID) -> [ChatConnection] { state.withLock { $0.connections(of: user) } }

    // MARK: Shared steps

    /// Runs an event's body: a `ChatError` becomes the refusal; anything else (the repository
    /// failed) becomes `internal_error`, with the cause kept for the log.
    func answeringNow(_ body: () throws -> Outcome) -> Outcome {
        do {
            return try body()
        } catch let error as ChatError {
            return .failure(error)
        } catch RepositoryError.storageFull {
            return .failure(.storageFull)
        } catch {
            return Self.internalFailure(error)
        }
    }

    /// `answeringNow` for an event whose body awaits the repository's writes.
    func answering(_ body: () async throws -> Outcome) async -> Outcome {
        do {
            return try await body()
        } catch let error as ChatError {
            return .failure(error)
        } catch RepositoryError.storageFull {
            return .failure(.storageFull)
        } catch {
            return Self.internalFailure(error)
        }
    }

    static func internalFailure(_ error: any Error) -> Outcome {
        var outcome = Outcome.failure(internalError)
        outcome.fault = "\(error)"
        return outcome
    }

    func now() -> Micros { clock.monotonicMicros() }
}
