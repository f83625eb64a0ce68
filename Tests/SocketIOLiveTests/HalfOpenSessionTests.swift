import EngineIO
import EngineIOProtocol
import Foundation
import SocketIO
import SocketIOProtocol
import TestSupport
import Testing

/// What one address can make the server hold before anyone signed in: a bounded number of
/// sessions, and no events — binary or not — until a namespace CONNECT succeeded.
@Suite struct HalfOpenSessionTests {
    @Test func sessionsOfOneAddressAreCappedAndAConnectFreesAHalfOpenSlot() async throws {
        var engine = EngineConfiguration()
        engine.maxSessionsPerAddress = 4
        engine.maxHalfOpenSessionsPerAddress = 3
        let server = try await InProcessServer(engine: engine).start()
        defer { Task { await server.stop() } }

        let port = server.port
        var sids = try await blocking {
            let sids = try (0..<3).map { _ in try pollingSid(port: port) }
            #expect(try http("GET", port: port, "/socket.io/?EIO=4&transport=polling", timeout: 20).status == 429)
            let socket = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            #expect(try socket.waitForClose(timeout: 20) == 1013)
            // One session signs in: it stops counting as half-open, so one more may open.
            #expect(
                try http(
                    "POST", port: port, "/socket.io/?EIO=4&transport=polling&sid=\(sids[0])", body: "40", timeout: 20
                ).status == 200)
            return sids
        }
        #expect(await server.eventually { server.io.of("/").sockets.count == 1 })
        #expect(server.engine.sessionCounts(from: "127.0.0.1") == .init(open: 3, halfOpen: 2))
        sids.append(try await blocking { try pollingSid(port: port) })
        // Four open: the total cap holds even with a half-open slot free.
        #expect(
            try await blocking {
                try http("GET", port: port, "/socket.io/?EIO=4&transport=polling", timeout: 20).status
            } == 429)

        // Closing sessions gives their slots back.
        for sid in sids {
            _ = try await blocking {
                try http("POST", port: port, "/socket.io/?EIO=4&transport=polling&sid=\(sid)", body: "1", timeout: 20)
            }
        }
        #expect(await server.eventually { server.engine.sessionCount == 0 })
        #expect(server.engine.sessionCounts(from: "127.0.0.1") == .init())
    }

    @Test func aBinaryEventBeforeConnectEndsTheSessionWithoutAssemblingIt() async throws {
        let server = try await InProcessServer().start()
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            let socket = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try socket.receive(timeout: 20)  // open
            try socket.send(#"451-["upload",{"_placeholder":true,"num":0}]"#)
            let code = try socket.waitForClose(timeout: 20)
            #expect(code == 1000)
        }
        #expect(await server.eventually { server.engine.sessionCount == 0 })
    }

    @Test func eventsBeforeOrDuringConnectAreDropped() async throws {
        let server = try await InProcessServer().start()
        defer { Task { await server.stop() } }
        let seen = Recorder()
        server.io.of("/").authorize { _ in
            try? await Task.sleep(for: .milliseconds(300))
            return .accept(nil)
        }
        server.io.of("/").onAny { _, name, _, _ in seen.add(name) }
        let port = server.port
        let socket = try await blocking {
            let socket = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try socket.receive(timeout: 20)  // open
            try socket.send(#"42["before"]"#)
            try socket.send("40")
            try socket.send(#"42["during"]"#)
            guard case .text(let connected) = try socket.receiveSkippingPings(timeout: 20), connected.hasPrefix("40")
            else {
                throw ClientError("no CONNECT")
            }
            try socket.send(#"42["after"]"#)
            return socket
        }
        #expect(await server.eventually { seen.names == ["after"] })
        try await Task.sleep(for: .milliseconds(100))
        #expect(seen.names == ["after"])
        _ = socket
    }

    /// An event before CONNECT is dropped on its header, never parsed: a body that is not JSON
    /// at all does not even end the connection (parsing would have), and a CONNECT still works.
    @Test func eventsBeforeConnectAreNeverParsed() async throws {
        let server = try await InProcessServer().start()
        defer { Task { await server.stop() } }
        let seen = Recorder()
        server.io.of("/").onAny { _, name, _, _ in seen.add(name) }
        let port = server.port
        let socket = try await blocking {
            let socket = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try socket.receive(timeout: 20)  // open
            try socket.send("42" + String(repeating: "[{\"a\":", count: 5000) + "not json")
            try socket.send("40")
            guard case .text(let connected) = try socket.receiveSkippingPings(timeout: 20), connected.hasPrefix("40")
            else {
                throw ClientError("no CONNECT: the connection was closed")
            }
            try socket.send(#"42["after"]"#)
            return socket
        }
        #expect(await server.eventually { seen.names == ["after"] })
        _ = socket
    }

    @Test func aConnectWithAnOversizedAuthPayloadIsRefused() async throws {
        let server = try await InProcessServer().start()
        defer { Task { await server.stop() } }
        let port = server.port
        let answer = try await blocking {
            let socket = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try socket.receive(timeout: 20)  // open
            try socket.send(#"40{"token":""# + String(repeating: "x", count: 20_000) + #""}"#)
            return try socket.receiveSkippingPings(timeout: 20)
        }
        #expect(answer == .text(#"44{"message":"auth payload too large"}"#))
        #expect(server.io.of("/").sockets.isEmpty)
    }
}

private func pollingSid(port: Int) throws -> String {
    let response = try http("GET", port: port, "/socket.io/?EIO=4&transport=polling", timeout: 20)
    guard response.status == 200, let sid = try jsonObject(response.body.dropFirst())["sid"] as? String else {
        throw ClientError("handshake refused: \(response.status) \(response.body)")
    }
    return sid
}

// @unchecked Sendable: `recorded` is only touched under `lock`.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func add(_ name: String) {
        lock.lock()
        recorded.append(name)
        lock.unlock()
    }
    var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
}
