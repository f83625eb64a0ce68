import NIOCore
import SocketIOProtocol
import Testing

/// Examples from the Socket.IO v5 protocol document.
@Suite struct SocketIOPacketTests {
    @Test(arguments: [
        ("0", SocketIOPacket(.connect)),
        ("0/admin,{\"token\":\"123\"}", SocketIOPacket(.connect, namespace: "/admin", data: ["token": "123"])),
        ("1/admin,", SocketIOPacket(.disconnect, namespace: "/admin")),
        ("2[\"hello\",1]", SocketIOPacket.event("hello", [1])),
        (
            "2/admin,456[\"project:delete\",123]",
            SocketIOPacket.event("project:delete", [123], namespace: "/admin", id: 456)
        ),
        ("3/admin,456[]", SocketIOPacket.ack([], id: 456, namespace: "/admin")),
        ("4{\"message\":\"Not authorized\"}", SocketIOPacket(.connectError, data: ["message": "Not authorized"])),
        ("2[\"text\",\"line\\nnext \\\"quoted\\\" <b>\"]", SocketIOPacket.event("text", ["line\nnext \"quoted\" <b>"])),
    ])
    func textPacketsRoundTrip(wire: String, packet: SocketIOPacket) throws {
        let decoded = try SocketIOPacket.decode(wire)
        #expect(decoded.packet == packet)
        #expect(decoded.attachments == 0)
        #expect(packet.encode().text == (wire == "1/admin," ? "1/admin," : wire))
    }

    @Test func binaryBecomesPlaceholdersAndAttachments() throws {
        let bytes = ByteBuffer(bytes: [1, 2, 3])
        let packet = SocketIOPacket.event("hello", [.binary(bytes)])
        let (text, attachments) = packet.encode()
        #expect(text == #"51-["hello",{"_placeholder":true,"num":0}]"#)
        #expect(attachments == [bytes])

        let ack = SocketIOPacket.ack([.binary(bytes)], id: 456, namespace: "/admin").encode()
        #expect(ack.text == #"61-/admin,456[{"_placeholder":true,"num":0}]"#)
    }

    @Test func binaryEventsAreReassembled() throws {
        var assembler = BinaryAssembler()
        let (header, count) = try SocketIOPacket.decode(
            #"52-["upload",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]"#)
        #expect(count == 2)
        #expect(try assembler.start(header, attachments: count) == nil)
        #expect(try assembler.add(ByteBuffer(bytes: [0xA])) == nil)
        let complete = try assembler.add(ByteBuffer(bytes: [0xB]))
        #expect(
            complete
                == SocketIOPacket.event(
                    "upload", [.binary(ByteBuffer(bytes: [0xB])), ["x": .binary(ByteBuffer(bytes: [0xA]))]]))
        #expect(!assembler.isWaiting)
    }

    @Test func attachmentLimitsHold() throws {
        var limits = SocketIOLimits()
        limits.maxAttachments = 2
        limits.maxAttachmentBytes = 4
        #expect(throws: SocketIODecodingError.tooManyAttachments(3)) {
            try SocketIOPacket.decode(#"53-["x",{"_placeholder":true,"num":0}]"#, limits: limits)
        }
        var assembler = BinaryAssembler(limits: limits)
        let (header, count) = try SocketIOPacket.decode(#"51-["x",{"_placeholder":true,"num":0}]"#, limits: limits)
        _ = try assembler.start(header, attachments: count)
        #expect(throws: SocketIODecodingError.attachmentTooLarge) {
            try assembler.add(ByteBuffer(bytes: [1, 2, 3, 4, 5]))
        }
        #expect(throws: SocketIODecodingError.unexpectedBinary) { try assembler.add(ByteBuffer(bytes: [1])) }
    }

    @Test(arguments: [
        "", "7", "a", "2", "2{}", "2[]", "2[{}]", "3[]", "0[]", "1{}", "2[\"x\"", "5x-[\"x\"]", "2[\"x\"]junk",
        #"51-["x",{"_placeholder":true,"num":5}]"#,
    ])
    func malformedPacketsAreRefused(wire: String) {
        #expect(throws: SocketIODecodingError.self) {
            let (packet, count) = try SocketIOPacket.decode(wire)
            var assembler = BinaryAssembler()
            if try assembler.start(packet, attachments: count) == nil { _ = try assembler.add(ByteBuffer(bytes: [1])) }
        }
    }
}

@Suite struct JSONValueTests {
    @Test func serialisationKeepsKeyOrderAndEscapes() {
        let value: JSONValue = ["ok": true, "n": 3, "x": 1.5, "s": "a\"b\\c\u{1}\u{2028}", "list": [nil, "é"]]
        #expect(value.jsonString == #"{"ok":true,"n":3,"x":1.5,"s":"a\"b\\c\u0001\u2028","list":[null,"é"]}"#)
    }

    @Test func parsingKeepsIntegersBooleansAndNesting() throws {
        let parsed = try JSONValue.parse(#"{"b":[true,false,null],"a":12345678901,"c":0.25,"d":"\u00e9"}"#)
        #expect(parsed == ["a": .int(12_345_678_901), "b": [true, false, nil], "c": 0.25, "d": "é"])
        #expect(parsed["a"]?.intValue == 12_345_678_901)
        #expect(parsed["b"]?.arrayValue?.first?.boolValue == true)
    }
}

@Suite struct PacketHeaderTests {
    @Test func theHeaderIsReadWithoutTheJSON() throws {
        let header = try SocketIOPacket.header("51-/admin,7[not json at all")
        #expect(header.type == .binaryEvent)
        #expect(header.attachments == 1)
        #expect(header.namespace == "/admin")
        #expect(header.id == 7)
        #expect(throws: SocketIODecodingError.self) {
            try SocketIOPacket.decode("51-/admin,7[not json at all", header: header)
        }
    }
}

@Suite struct NumericEventNameTests {
    @Test func aNumberNamesAnEventByItsText() throws {
        let (packet, _) = try SocketIOPacket.decode("21[5,{}]")  // after Engine.IO's "4"
        #expect(packet.event?.name == "5")
        #expect(packet.id == 1)
    }
}
