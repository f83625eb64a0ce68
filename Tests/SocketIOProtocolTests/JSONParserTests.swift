import Foundation
import SocketIOProtocol
import Testing

/// The hand-written parser against RFC 8259 and against Foundation's decoder, which it replaced.
@Suite struct JSONParserTests {
    @Test(arguments: [
        #"null"#, #"true"#, #" false "#, #"0"#, #"-0"#, #"42"#, #"-9223372036854775808"#, #"9223372036854775807"#,
        #"9223372036854775808"#, #"0.25"#, #"-1.5e3"#, #"1E-2"#, #"2e+3"#, #"2.0"#, #"-0.0"#, #"1e18"#, #"1e19"#,
        #""""#, #""plain text""#,
        #""\"\\\/\b\f\n\r\t""#, #""\u00e9\u20ac""#, #""\ud83d\udcaa muscles""#, #""é 💪 漢字""#, #"[]"#, #"{}"#,
        #"[1,"a",[true,null],{"k":{"n":[]}}]"#, #"{"b":1,"a":2,"c":{"z":0,"y":[1.5]}}"#,
        "\t{ \"spaced\" :\n[ 1 , 2 ]\r}\n",
        #"["send_message",{"room":"general","message":"bench 123456 <b>&amp;</b>"}]"#,
    ])
    func agreesWithFoundation(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let parsed = try JSONValue.parse(Substring(text))
        #expect(parsed == expected)
        // Equality treats 1 and 1.0 alike: the kind must match too.
        #expect(String(describing: parsed) == String(describing: expected))
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "[", "]", "{", #"{"a"}"#, #"{"a":}"#, #"{a:1}"#, "[1,]", "[,1]", #"{"a":1,}"#,
        "01", "-", "1.", ".5", "1e", "+1", "0x10", "1e400", "NaN", "Infinity", #""unterminated"#,
        "\"tab\there\"", "\"nl\nhere\"", #""\x""#, #""\u12""#, #""\u12G4""#, #""\ud83d""#, #""\ud83d\u0041""#,
        #""\udcaa""#, "[1] 2", "{} {}", "[1]x", "'single'",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Substring(text)) }
    }

    @Test func keysComeOutSortedAndTheLastDuplicateWins() throws {
        let parsed = try JSONValue.parse(#"{"b":1,"a":2,"b":3}"#)
        guard case .object(let pairs) = parsed else {
            Issue.record("not an object")
            return
        }
        #expect(pairs.map(\.0) == ["a", "b"])
        #expect(parsed["b"] == 3)
    }

    @Test func nestingIsBounded() throws {
        let fine = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try JSONValue.parse(Substring(fine)) != .null)
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Substring(deep)) }
        // Far deeper input ends with an error, not a stack overflow.
        let abusive = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Substring(abusive)) }
    }

    @Test func aSubstringInTheMiddleOfItsStringParsesAlone() throws {
        let packet = #"42["x",{"k":"v"}]trailing"#
        let start = packet.index(packet.startIndex, offsetBy: 2)
        let end = packet.index(packet.endIndex, offsetBy: -8)
        #expect(try JSONValue.parse(packet[start..<end]) == ["x", ["k": "v"]])
    }
}
