import ArgumentParser
import Foundation
import NIOCore

/// How the load-generator clients reach the server.
enum BenchTransportKind: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Engine.IO over a WebSocket from the start.
    case websocket
    /// Engine.IO HTTP long-polling only, never upgraded.
    case polling
}

/// Opens load-generator clients: the transport (a WebSocket upgrade at /socket.io/, or a polling
/// handshake there), then the client's own Socket.IO handshake. A bounded number of connects are
/// in flight at once, so the server's accept backlog is never the thing measured.
struct BenchConnector {
    let group: EventLoopGroup
    let host: String
    let port: Int
    var transport = BenchTransportKind.websocket

    /// Connects one client; the future completes when it has joined its room.
    func connect(timeout: TimeAmount, _ makeClient: @escaping @Sendable (EventLoop) -> BenchClient) -> EventLoopFuture<
        BenchClient
    > {
        let loop = group.next()
        let client = makeClient(loop)
        let timer = loop.scheduleTask(in: timeout) { client.timedOut(after: timeout) }
        client.joinedPromise.futureResult.whenComplete { _ in timer.cancel() }
        let opened: EventLoopFuture<Void>
        switch transport {
        case .websocket: opened = WebSocketTransport.open(client, host: host, port: port)
        case .polling: opened = PollingTransport.open(client, host: host, port: port)
        }
        return opened.flatMap { client.joinedPromise.futureResult.map { client } }
            .flatMapErrorThrowing { error in
                client.timedOut(after: timeout)  // settles the promise if the connect itself failed
                throw error
            }
    }

    /// Connects every client, `concurrency` at a time; returns the clients that joined, and the
    /// reasons of those that did not.
    func connectAll(
        count: Int, concurrency: Int = 64, timeout: TimeAmount = .seconds(60),
        _ makeClient: @escaping @Sendable (Int, EventLoop) -> BenchClient
    ) async -> (joined: [BenchClient], failures: [String]) {
        var joined: [BenchClient] = []
        var failures: [String] = []
        await withTaskGroup(of: Result<BenchClient, Error>.self) { tasks in
            var next = 0
            func start() {
                let index = next
                next += 1
                tasks.addTask {
                    let future = connect(timeout: timeout) { loop in makeClient(index, loop) }
                    do { return .success(try await future.get()) } catch { return .failure(error) }
                }
            }
            while next < min(concurrency, count) { start() }
            for await result in tasks {
                switch result {
                case .success(let client): joined.append(client)
                case .failure(let error): failures.append("\(error)")
                }
                if next < count { start() }
            }
        }
        return (joined, failures)
    }

    /// Closes every client and waits until they have closed.
    static func closeAll(_ clients: [BenchClient]) async {
        let closed = clients.map { $0.close() }
        for future in closed { try? await future.get() }
    }

    /// `http://HOST:PORT[/…]` → host and port.
    static func parse(url: String) -> (host: String, port: Int)? {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host
        else { return nil }
        return (host, components.port ?? 80)
    }
}
