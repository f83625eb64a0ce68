import Accounts
import Foundation
import NIOCore
import Synchronization

/// The soak's clients: a resident population that stays signed in (each slot reconnects when its
/// client's lifetime is over, rejoining its rooms from the last message it saw), and a churn
/// stream of short-lived clients started at a fixed rate.
final class SoakLoad: Sendable {
    struct Shape: Sendable {
        var residents: Int
        var rooms: [String]
        var roomsPerResident: Int
        /// Fraction of clients (residents and churn) on HTTP long-polling; the rest on WebSocket.
        var pollingFraction: Double
        /// Mean lifetime of a resident's connection; nil: for the whole run.
        var residentLifetime: TimeAmount?
        var churnPerSecond: Double
        /// Churning clients sign in as one of this many users, in turn.
        var churnUsers: Int
    }

    let shape: Shape
    let behaviour: SoakBehaviour
    let meter = SoakMeter()
    private let group: EventLoopGroup
    private let host: String
    private let port: Int
    private let signer: HostAppTokenSigner
    private let live = Mutex<[ObjectIdentifier: SoakClient]>([:])
    private let stopping = Mutex(false)
    private let finished = Mutex(false)

    init(shape: Shape, behaviour: SoakBehaviour, group: EventLoopGroup, host: String, port: Int, secret: String) {
        self.shape = shape
        self.behaviour = behaviour
        self.group = group
        self.host = host
        self.port = port
        signer = HostAppTokenSigner(secret: secret)
    }

    var isStopping: Bool { stopping.withLock { $0 } }

    /// Runs every resident slot and the churn stream until `stop`; returns when all clients are gone.
    func run(rampSeconds: Double) async {
        await withTaskGroup(of: Void.self) { tasks in
            for slot in 0..<shape.residents {
                let delay = rampSeconds * Double(slot) / Double(max(1, shape.residents))
                tasks.addTask { await self.resident(slot: slot, startingAfter: delay) }
            }
            tasks.addTask { await self.churn() }
        }
        finished.withLock { $0 = true }
    }

    /// Whether `run` returned within `seconds` (polled: a stuck client must not hang the caller).
    func waitUntilFinished(seconds: Double) async -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while !finished.withLock({ $0 }) {
            guard DispatchTime.now().uptimeNanoseconds < deadline else { return false }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return true
    }

    /// No new clients; every live one finishes its requests and disconnects.
    func stop() {
        stopping.withLock { $0 = true }
        for client in live.withLock({ Array($0.values) }) { client.stop() }
    }

    // MARK: Residents

    private func resident(slot: Int, startingAfter delay: Double) async {
        try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        // Rooms in turn, so every room gets the same number of residents.
        let rooms = (0..<min(shape.roomsPerResident, shape.rooms.count)).map {
            shape.rooms[(slot * shape.roomsPerResident + $0) % shape.rooms.count]
        }
        let polling = Double(slot) < Double(shape.residents) * shape.pollingFraction
        var lastIDs: [String: Int] = [:]
        while !isStopping {
            let lifetime = shape.residentLifetime.map { mean in
                // Exponential lifetimes: reconnects spread evenly over the run instead of in waves.
                TimeAmount.nanoseconds(Int64(-log(Double.random(in: 0.000_001..<1)) * Double(mean.nanoseconds)))
            }
            let started = DispatchTime.now().uptimeNanoseconds
            lastIDs = await connectAndWait(
                user: "soak-resident-\(slot)", role: .resident(lifetime: lifetime), rooms: rooms, lastIDs: lastIDs,
                polling: polling)
            // A connection that failed at once is not retried in a tight loop.
            if DispatchTime.now().uptimeNanoseconds - started < 1_000_000_000 {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
    }

    // MARK: Churn

    private func churn() async {
        guard shape.churnPerSecond > 0 else { return }
        let period = 1 / shape.churnPerSecond
        let start = DispatchTime.now().uptimeNanoseconds
        await withDiscardingTaskGroup { tasks in
            var index = 0
            while !isStopping {
                let user = index % shape.churnUsers
                let room = shape.rooms[index % shape.rooms.count]
                let polling = Double.random(in: 0..<1) < shape.pollingFraction
                tasks.addTask {
                    _ = await self.connectAndWait(
                        user: "soak-churn-\(user)", role: .churn, rooms: [room], lastIDs: [:], polling: polling)
                }
                index += 1
                // On a fixed schedule from the start, so a slow moment does not lower the rate.
                let due = start + UInt64(Double(index) * period * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { try? await Task.sleep(nanoseconds: due - now) }
            }
        }
    }

    // MARK: One connection

    private func connectAndWait(
        user: String, role: SoakClient.Role, rooms: [String], lastIDs: [String: Int], polling: Bool
    ) async -> [String: Int] {
        let client = SoakClient(
            token: signer.sign(user: user), role: role, rooms: rooms, lastIDs: lastIDs, behaviour: behaviour,
            meter: meter, eventLoop: group.next())
        let key = ObjectIdentifier(client)
        live.withLock { $0[key] = client }
        if isStopping { client.stop() }
        let (host, port) = (host, port)
        // On the client's loop: the transport is set there, where every other call happens.
        client.eventLoop.flatSubmit {
            polling
                ? PollingTransport.open(client, host: host, port: port)
                : WebSocketTransport.open(client, host: host, port: port)
        }.whenFailure { client.openFailed($0) }
        let ids = (try? await client.finished.get()) ?? lastIDs
        live.withLock { _ = $0.removeValue(forKey: key) }
        return ids
    }
}
