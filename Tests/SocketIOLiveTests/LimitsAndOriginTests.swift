import Foundation
import TestSupport
import Testing

/// Beyond the official suite: the limits and the Origin check the server promises.
@Suite struct LimitsAndOriginTests {
    @Test func aPollingBodyOverMaxPayloadIs413() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sid = try server.pollingSession()
            let body = "4" + String(repeating: "x", count: 1_000_001)
            #expect(try server.post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", body).status == 413)
        }
    }

    @Test func aWebSocketMessageOverMaxPayloadClosesWith1009() async throws {
        try await blocking {
            // A long heartbeat: sending a megabyte on a loaded machine must not become a ping timeout.
            let server = try ConformanceServer(pingIntervalMs: 25_000)
            let socket = try server.webSocket()
            _ = try socket.receive()
            // Only the head of a text frame that announces 1,000,002 bytes: the server refuses it on
            // its length. Sending the payload too raced the close (the server closing with unread
            // bytes resets the connection, and the close frame is lost with it).
            let length = 1_000_002
            let head: [UInt8] =
                [0x81, 0x80 | 127] + stride(from: 56, through: 0, by: -8).map { UInt8((length >> $0) & 0xFF) } + [
                    1, 2, 3, 4,
                ]
            try socket.connection.write(head)
            #expect(try socket.waitForClose() == 1009)
        }
    }

    @Test func aFragmentedMessageOverMaxPayloadClosesWith1009() async throws {
        try await blocking {
            // A long heartbeat: sending a megabyte on a loaded machine must not become a ping timeout.
            let server = try ConformanceServer(pingIntervalMs: 25_000)
            let socket = try server.webSocket()
            _ = try socket.receive()
            let half = [UInt8](repeating: UInt8(ascii: "x"), count: 600_000)
            try socket.sendFrame(opcode: 0x1, [UInt8(ascii: "4")] + half, fin: false)
            try? socket.sendFrame(opcode: 0x0, half, fin: true)  // may fail once the server has closed
            let code = try socket.waitForClose()
            // Sometimes the connection ends without a close frame: the server closed while bytes of
            // ours were still unread, the kernel answered with a reset and dropped the close frame
            // (a server-side race, reported with issue 11). Only that outcome is tolerated, and only
            // as a known intermittent issue; any other close code fails.
            withKnownIssue("the 1009 close frame lost to a TCP reset", isIntermittent: true) {
                #expect(code == 1009)
            } when: {
                code == nil
            }
        }
    }

    @Test func invalidUTF8InATextFrameClosesWith1007() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            _ = try socket.receive()
            try socket.sendFrame(opcode: 0x1, [UInt8(ascii: "4"), 0xC3, 0x28])
            #expect(try socket.waitForClose() == 1007)
        }
    }

    @Test func aForeignOriginIsRefusedOnBothTransports() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let polling = try http(
                "GET", port: server.port, "/socket.io/?EIO=4&transport=polling",
                headers: ["Origin": "http://evil.example"])
            #expect(polling.status == 403)
            #expect(polling.body == #"{"code":4,"message":"Forbidden"}"#)
            #expect(throws: RawWebSocket.HandshakeRefused(status: 403)) {
                try RawWebSocket(
                    port: server.port, path: "/socket.io/?EIO=4&transport=websocket",
                    headers: ["Origin": "http://evil.example"])
            }
        }
    }

    @Test func theServersOwnOriginAndNoOriginAreAllowed() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let own = try http(
                "GET", port: server.port, "/socket.io/?EIO=4&transport=polling",
                headers: ["Origin": "http://127.0.0.1:\(server.port)"])
            #expect(own.status == 200)
            let socket = try RawWebSocket(
                port: server.port, path: "/socket.io/?EIO=4&transport=websocket",
                headers: ["Origin": "http://127.0.0.1:\(server.port)"])
            guard case .text(let open) = try socket.receive() else {
                Issue.record("no handshake")
                return
            }
            #expect(open.hasPrefix("0{"))
            #expect(try server.get("/socket.io/?EIO=4&transport=polling").status == 200)
        }
    }

    @Test func sessionIdsAreLongAndDistinct() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let sids = try (0..<50).map { _ in try server.pollingSession() }
            #expect(Set(sids).count == 50)
            #expect(sids.allSatisfy { $0.count >= 22 }, "at least 128 bits in base64url")
        }
    }
}
