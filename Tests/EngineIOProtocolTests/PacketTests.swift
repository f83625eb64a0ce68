import EngineIOProtocol
import NIOCore
import Testing

/// Examples from the Engine.IO v4 protocol document.
@Suite struct EnginePacketTests {
    @Test(arguments: [
        ("4hello", EnginePacket.message("hello")),
        ("2", EnginePacket(.ping)),
        ("2probe", EnginePacket(.ping, .text("probe"))),
        ("3probe", EnginePacket(.pong, .text("probe"))),
        ("5", EnginePacket(.upgrade)),
        ("6", EnginePacket(.noop)),
        ("1", EnginePacket(.close)),
        ("4€ é", EnginePacket.message("€ é")),
    ])
    func textPacketsRoundTrip(wire: String, packet: EnginePacket) throws {
        #expect(try EnginePacket.decode(text: Substring(wire)) == packet)
        #expect(packet.textEncoding == wire)
    }

    /// Found by the engineio-packet fuzz target: a non-ASCII digit whose value does not fit a byte
    /// (`万` is 10000, `千` 1000) trapped converting it to a type; one text frame stopped the daemon.
    @Test(arguments: ["万", "千x", "٣", "Ⅻ", "½"])
    func nonASCIIDigitsAreUnknownTypes(wire: String) {
        #expect(throws: EngineDecodingError.unknownType(String(wire.first!))) {
            try EnginePacket.decode(text: Substring(wire))
        }
        #expect(throws: EngineDecodingError.unknownType(String(wire.first!))) {
            try PollingPayload.decode("4ok\u{1e}" + wire)
        }
    }

    @Test func binaryTravelsAsBase64OnPolling() throws {
        let packet = EnginePacket.message(ByteBuffer(bytes: [1, 2, 3, 4]))
        #expect(packet.textEncoding == "bAQIDBA==")
        #expect(try EnginePacket.decode(text: "bAQIDBA==") == packet)
    }

    @Test func pollingPayloadsAreSeparatedByRecordSeparators() throws {
        // The document's example: "4hello\x1e4€\x1ebAQIDBA=="
        let body = "4hello\u{1e}4€\u{1e}bAQIDBA=="
        let packets = try PollingPayload.decode(body)
        #expect(packets == [.message("hello"), .message("€"), .message(ByteBuffer(bytes: [1, 2, 3, 4]))])
        #expect(PollingPayload.encode(packets) == body)
    }

    @Test(arguments: ["", "9", "x", "bA", "b!!!!", "4a\u{1e}"])
    func malformedInputIsRefused(wire: String) {
        #expect(throws: EngineDecodingError.self) { try PollingPayload.decode(wire) }
    }
}

@Suite struct HandshakeTests {
    @Test func openPacketAnnouncesTheSettings() {
        var configuration = EngineConfiguration()
        configuration.pingInterval = .milliseconds(300)
        configuration.pingTimeout = .milliseconds(200)
        let handshake = Handshake(sid: "abc", transport: .polling, configuration: configuration)
        #expect(
            handshake.openPacket.textEncoding
                == #"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        )
        #expect(Handshake(sid: "abc", transport: .websocket, configuration: configuration).upgrades == [])
    }

    @Test(arguments: [
        (
            "GET", ["EIO": "4", "transport": "polling"], false,
            Result<EngineRequest, EngineError>.success(.handshake(.polling))
        ),
        ("GET", ["EIO": "4", "transport": "websocket"], true, .success(.handshake(.websocket))),
        ("GET", ["EIO": "4", "transport": "polling", "sid": "s"], false, .success(.poll(sid: "s"))),
        ("POST", ["EIO": "4", "transport": "polling", "sid": "s"], false, .success(.post(sid: "s"))),
        ("GET", ["EIO": "4", "transport": "websocket", "sid": "s"], true, .success(.upgrade(sid: "s"))),
        ("GET", ["EIO": "3", "transport": "polling"], false, .failure(.unsupportedProtocolVersion)),
        ("GET", ["transport": "polling"], false, .failure(.unsupportedProtocolVersion)),
        ("GET", ["EIO": "4", "transport": "carrier-pigeon"], false, .failure(.unknownTransport)),
        ("POST", ["EIO": "4", "transport": "polling"], false, .failure(.badHandshakeMethod)),
        ("GET", ["EIO": "4", "transport": "websocket"], false, .failure(.badRequest)),
        ("PUT", ["EIO": "4", "transport": "polling", "sid": "s"], false, .failure(.badRequest)),
    ])
    func requestsAreClassified(
        method: String, query: [String: String], upgrade: Bool, expected: Result<EngineRequest, EngineError>
    ) {
        #expect(
            EngineRequest.classify(method: method, query: query, isWebSocketUpgrade: upgrade, configuration: .init())
                == expected)
    }

    @Test func errorsCarryEngineIOsCodes() {
        #expect(EngineError.unknownSession.json == #"{"code":1,"message":"Session ID unknown"}"#)
        #expect(EngineError.forbidden.httpStatus == 403)
        #expect(EngineError.badRequest.httpStatus == 400)
    }
}
