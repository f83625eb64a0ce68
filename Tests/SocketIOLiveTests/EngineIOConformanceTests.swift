import Foundation
import TestSupport
import Testing

/// The Engine.IO half of the official socket.io-protocol test suite, ported case by case, against
/// `socketio-conformance-server` (pingInterval 300 ms, pingTimeout 200 ms).
let pingInterval = 300
let pingTimeout = 200

@Suite struct EngineIOHandshakeTests {
    @Test func pollingOpensASession() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let response = try server.get("/socket.io/?EIO=4&transport=polling")
            #expect(response.status == 200)
            #expect(response.body.hasPrefix("0"))
            let open = try jsonObject(response.body.dropFirst())
            #expect(Set(open.keys) == ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"])
            #expect(open["sid"] is String)
            #expect(open["upgrades"] as? [String] == ["websocket"])
            #expect(open["pingInterval"] as? Int == pingInterval)
            #expect(open["pingTimeout"] as? Int == pingTimeout)
            #expect(open["maxPayload"] as? Int == 1_000_000)
        }
    }

    @Test func pollingRefusesAMissingOrInvalidEIO() async throws {
        try await blocking {
            let server = try ConformanceServer()
            #expect(try server.get("/socket.io/?transport=polling").status == 400)
            #expect(try server.get("/socket.io/?EIO=abc&transport=polling").status == 400)
        }
    }

    @Test func pollingRefusesAMissingOrInvalidTransport() async throws {
        try await blocking {
            let server = try ConformanceServer()
            #expect(try server.get("/socket.io/?EIO=4").status == 400)
            #expect(try server.get("/socket.io/?EIO=4&transport=abc").status == 400)
        }
    }

    @Test func pollingRefusesAnInvalidHandshakeMethod() async throws {
        try await blocking {
            let server = try ConformanceServer()
            #expect(try http("POST", port: server.port, "/socket.io/?EIO=4&transport=polling", body: "").status == 400)
            #expect(try http("PUT", port: server.port, "/socket.io/?EIO=4&transport=polling", body: "").status == 400)
        }
    }

    @Test func webSocketOpensASession() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            guard case .text(let data) = try socket.receive() else {
                Issue.record("no handshake")
                return
            }
            #expect(data.hasPrefix("0"))
            let open = try jsonObject(data.dropFirst())
            #expect(Set(open.keys) == ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"])
            #expect(open["upgrades"] as? [String] == [])
            #expect(open["pingInterval"] as? Int == pingInterval)
            #expect(open["pingTimeout"] as? Int == pingTimeout)
            #expect(open["maxPayload"] as? Int == 1_000_000)
        }
    }

    @Test func webSocketRefusesAMissingOrInvalidEIO() async throws {
        try await blocking {
            let server = try ConformanceServer()
            for path in ["/socket.io/?transport=websocket", "/socket.io/?EIO=abc&transport=websocket"] {
                #expect(throws: RawWebSocket.HandshakeRefused(status: 400)) { try server.webSocket(path) }
            }
        }
    }

    @Test func webSocketRefusesAMissingOrInvalidTransport() async throws {
        try await blocking {
            let server = try ConformanceServer()
            for path in ["/socket.io/?EIO=4", "/socket.io/?EIO=4&transport=abc"] {
                #expect(throws: RawWebSocket.HandshakeRefused(status: 400)) { try server.webSocket(path) }
            }
        }
    }
}

@Suite struct EngineIOHeartbeatTests {
    @Test func pollingPingsAndPongs() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            for _ in 0..<3 {
                let poll = try server.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)")
                #expect(poll.status == 200)
                #expect(poll.body == "2")
                #expect(try server.post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", "3").status == 200)
            }
        }
    }

    @Test func pollingSessionClosesOnPingTimeout() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            // A margin past interval + timeout: the server's timer must have fired, even on a loaded machine.
            Thread.sleep(forTimeInterval: Double(pingInterval + pingTimeout) / 1000 + 0.5)
            #expect(try server.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").status == 400)
        }
    }

    @Test func webSocketPingsAndPongs() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            _ = try socket.receive()
            for _ in 0..<3 {
                #expect(try socket.receive() == .text("2"))
                try socket.send("3")
            }
        }
    }

    @Test func webSocketSessionClosesOnPingTimeout() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            let code = try socket.waitForClose()
            #expect(code == 1000)
        }
    }
}

@Suite struct EngineIOCloseTests {
    @Test func pollingClientClosesTheSession() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            let poll = try PendingRequest(
                port: server.port, method: "GET", path: "/socket.io/?EIO=4&transport=polling&sid=\(sid)")
            Thread.sleep(forTimeInterval: 0.05)
            #expect(try server.post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", "1").status == 200)
            let response = try poll.response()
            #expect(response.status == 200)
            #expect(response.body == "6")
            #expect(try server.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)").status == 400)
        }
    }

    @Test func webSocketClientClosesTheSession() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            _ = try socket.receive()
            try socket.send("1")
            let code = try socket.waitForClose()
            #expect(code == 1000)
        }
    }
}

@Suite struct EngineIOUpgradeTests {
    @Test func pollingUpgradesToWebSocket() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            let socket = try server.webSocket("/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
            try socket.send("2probe")
            #expect(try socket.receive() == .text("3probe"))
            try socket.send("5")
            // The session now lives on the WebSocket: the next ping comes there.
            #expect(try socket.receive() == .text("2"))
        }
    }

    @Test func pollingWithTheSameSidIsRefusedAfterTheUpgrade() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            let socket = try server.webSocket("/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
            try socket.send("2probe")
            try socket.send("5")
            #expect(try socket.receive() == .text("3probe"))
            // "5" travels on the WebSocket, the poll on another connection: give the upgrade a moment.
            Thread.sleep(forTimeInterval: 0.1)
            let poll = try server.get("/socket.io/?EIO=4&transport=polling&sid=\(sid)")
            #expect(poll.status == 400, "got \(poll.status) \(poll.body)")
        }
    }

    @Test func aSecondWebSocketWithTheSameSidIsRefusedAfterTheUpgrade() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            let socket = try server.webSocket("/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
            try socket.send("2probe")
            try socket.send("5")
            #expect(try socket.receive() == .text("3probe"))
            do {
                let second = try server.webSocket("/socket.io/?EIO=4&transport=websocket&sid=\(sid)")
                let code = try second.waitForClose()
                #expect(code == 1008)
            } catch is RawWebSocket.HandshakeRefused {
                // Refusing the handshake outright closes it too.
            }
        }
    }
}
