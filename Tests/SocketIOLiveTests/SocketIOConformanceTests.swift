import Foundation
import TestSupport
import Testing

/// The Socket.IO half of the official socket.io-protocol test suite, ported case by case.
@Suite struct SocketIOConnectTests {
    private func connect(_ packet: String, expectPrefix prefix: String, auth: String) throws {
        let server = try ConformanceServer()
        let socket = try server.webSocket()
        _ = try socket.receive()
        try socket.send(packet)
        guard case .text(let data) = try socket.receiveSkippingPings() else {
            Issue.record("no CONNECT")
            return
        }
        #expect(data.hasPrefix(prefix))
        let handshake = try jsonObject(data.dropFirst(prefix.count))
        #expect(Set(handshake.keys) == ["sid"])
        #expect(handshake["sid"] is String)
        #expect(try socket.receiveSkippingPings() == .text(auth))
    }

    @Test func mainNamespace() async throws {
        try await blocking {
            try connect("40", expectPrefix: "40", auth: #"42["auth",{}]"#)
        }
    }

    @Test func mainNamespaceWithAPayload() async throws {
        try await blocking {
            try connect(#"40{"token":"123"}"#, expectPrefix: "40", auth: #"42["auth",{"token":"123"}]"#)
        }
    }

    @Test func customNamespace() async throws {
        try await blocking {
            try connect("40/custom,", expectPrefix: "40/custom,", auth: #"42/custom,["auth",{}]"#)
        }
    }

    @Test func customNamespaceWithAPayload() async throws {
        try await blocking {
            try connect(
                #"40/custom,{"token":"abc"}"#, expectPrefix: "40/custom,", auth: #"42/custom,["auth",{"token":"abc"}]"#)
        }
    }

    @Test func unknownNamespaceIsRefused() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            _ = try socket.receive()
            try socket.send("40/random")
            #expect(try socket.receiveSkippingPings() == .text(#"44/random,{"message":"Invalid namespace"}"#))
        }
    }

    @Test func invalidHandshakeClosesTheConnection() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            _ = try socket.receive()
            try socket.send("4abc")
            let code = try socket.waitForClose()
            #expect(code == 1000)
        }
    }

    @Test func noHandshakeClosesTheConnection() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.webSocket()
            let code = try socket.waitForClose(timeout: 2)
            #expect(code == 1000)
        }
    }
}

@Suite struct SocketIODisconnectTests {
    @Test func disconnectFromTheMainNamespace() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            try socket.send("41")
            // Nothing comes back for the namespace; the Engine.IO session lives on (next is a ping).
            #expect(try socket.receive() == .text("2"))
        }
    }

    @Test func connectThenDisconnectFromACustomNamespace() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            #expect(try socket.receive() == .text("2"))
            try socket.send("3")
            try socket.send("40/custom")
            _ = try socket.receiveSkippingPings()
            _ = try socket.receiveSkippingPings()
            try socket.send("41/custom")
            try socket.send(#"42["message","message to main namespace"]"#)
            #expect(try socket.receiveSkippingPings() == .text(#"42["message-back","message to main namespace"]"#))
        }
    }
}

@Suite struct SocketIOMessageTests {
    @Test func plainTextPacket() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            try socket.send(#"42["message",1,"2",{"3":[true]}]"#)
            #expect(try socket.receiveSkippingPings() == .text(#"42["message-back",1,"2",{"3":[true]}]"#))
        }
    }

    @Test func packetWithBinaryAttachments() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            try socket.send(#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            try socket.send(binary: [1, 2, 3])
            try socket.send(binary: [4, 5, 6])
            #expect(
                try socket.receiveSkippingPings()
                    == .text(#"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#))
            #expect(try socket.receiveSkippingPings() == .binary([1, 2, 3]))
            #expect(try socket.receiveSkippingPings() == .binary([4, 5, 6]))
        }
    }

    @Test func plainTextPacketWithAnAck() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            try socket.send(#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
            #expect(try socket.receiveSkippingPings() == .text(#"43456[1,"2",{"3":[false]}]"#))
        }
    }

    @Test func packetWithBinaryAttachmentsAndAnAck() async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            try socket.send(#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#)
            try socket.send(binary: [1, 2, 3])
            try socket.send(binary: [4, 5, 6])
            #expect(
                try socket.receiveSkippingPings()
                    == .text(#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#))
            #expect(try socket.receiveSkippingPings() == .binary([1, 2, 3]))
            #expect(try socket.receiveSkippingPings() == .binary([4, 5, 6]))
        }
    }

    @Test(arguments: ["4abc", "42{}", #"42abc["message-with-ack",1,"2",{"3":[false]}]"#])
    func invalidFormatClosesTheConnection(packet: String) async throws {
        try await blocking {
            let server = try ConformanceServer()
            let socket = try server.socketIOConnection()
            try socket.send(packet)
            let code = try socket.waitForClose()
            #expect(code == 1000)
        }
    }
}
