import CQRencode
import Testing

@testable import QRCode

/// The QR codes on the admin page must scan: the matrix is libqrencode's, its format information
/// decodes to what was asked, the function patterns are where a reader looks for them, and the
/// SVG draws exactly that matrix.
struct QRCodeTests {
    static let link = "http://127.0.0.1:8080/join/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2Q"

    @Test func versionAndSizeFollowTheLength() throws {
        let short = try QRCode("HELLO")
        #expect(short.version == 1 && short.size == 21)
        // Byte mode at level M: version 4 holds up to 62 bytes, version 5 up to 84.
        let invite = try QRCode(Self.link)
        #expect(Self.link.utf8.count == 62)
        #expect(invite.version == 4 && invite.size == 33)
        #expect(invite.modules.count == 33 * 33)
        let longer = try QRCode(Self.link + "x")
        #expect(longer.version == 5 && longer.size == 37)
    }

    @Test func theMatrixIsLibqrencodesOwn() throws {
        let code = try QRCode(Self.link)
        guard let reference = QRcode_encodeString8bit(Self.link, 0, QR_ECLEVEL_M) else {
            Issue.record("libqrencode refused the link")
            return
        }
        defer { QRcode_free(reference) }
        #expect(Int(reference.pointee.width) == code.size && Int(reference.pointee.version) == code.version)
        let theirs = (0..<code.size * code.size).map { reference.pointee.data[$0] & 1 == 1 }
        #expect(theirs == code.modules)
    }

    @Test(arguments: [(QRCode.ErrorCorrection.low, 1), (.medium, 0), (.quartile, 3), (.high, 2)])
    func formatInformationDecodesToTheLevel(correction: QRCode.ErrorCorrection, bits: Int) throws {
        let code = try QRCode(Self.link, correction: correction)
        let n = code.size
        func word(_ positions: [(Int, Int)]) -> Int {
            positions.enumerated().reduce(0) { $0 | (code[$1.element.0, $1.element.1] ? 1 << $1.offset : 0) }
        }
        // ISO/IEC 18004 placement, bit 0 first: around the top-left finder, and split between
        // the other two.
        let first = word((0...5).map { (8, $0) } + [(8, 7), (8, 8), (7, 8)] + (9...14).map { (14 - $0, 8) })
        let second = word((0...7).map { (n - 1 - $0, 8) } + (8...14).map { (8, n - 15 + $0) })
        #expect(first == second)
        let valid = (0..<32).map { data in (data << 10 | Self.bch(data)) ^ 0x5412 }
        let data = try #require(valid.firstIndex(of: first))
        #expect(data >> 3 == bits)
        // The dark module beside the bottom-left finder.
        #expect(code[8, n - 8])
    }

    @Test func finderAndTimingPatterns() throws {
        let code = try QRCode(Self.link)
        let n = code.size
        for (ox, oy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
            for y in 0..<7 {
                for x in 0..<7 {
                    let ring = max(abs(x - 3), abs(y - 3))
                    #expect(code[ox + x, oy + y] == (ring != 2), "finder at \(ox),\(oy)")
                }
            }
        }
        for i in 8..<(n - 8) {
            #expect(code[i, 6] == (i % 2 == 0))
            #expect(code[6, i] == (i % 2 == 0))
        }
    }

    @Test func theSVGDrawsTheMatrixWithAQuietZone() throws {
        let code = try QRCode(Self.link)
        let svg = code.svg(quietZone: 4, label: "Invite <link>")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 41 41\""))
        #expect(svg.contains("aria-label=\"Invite &lt;link&gt;\""))
        #expect(svg.split(separator: "<path", omittingEmptySubsequences: false).count == 2)
        // Read the runs back: "M{x} {y}h{w}v1h-{w}z".
        let d = try #require(svg.split(separator: "d=\"").last?.split(separator: "\"").first)
        var drawn = [Bool](repeating: false, count: 41 * 41)
        for run in d.split(separator: "M") {
            let parts = run.split(whereSeparator: { $0 == " " || $0 == "h" || $0 == "v" })
            let x = Int(parts[0])!
            let y = Int(parts[1])!
            let w = Int(parts[2])!
            for i in x..<(x + w) { drawn[y * 41 + i] = true }
        }
        for y in 0..<41 {
            for x in 0..<41 {
                let inside = (4..<37).contains(x) && (4..<37).contains(y)
                #expect(drawn[y * 41 + x] == (inside && code[x - 4, y - 4]))
            }
        }
    }

    @Test func tooLongIsAnError() {
        #expect(throws: QRCode.EncodingFailed.self) { try QRCode(String(repeating: "x", count: 3000)) }
    }

    /// The (15, 5) BCH code of the format information, generator x^10+x^8+x^5+x^4+x^2+x+1.
    static func bch(_ data: Int) -> Int {
        var value = data << 10
        for shift in stride(from: 4, through: 0, by: -1) where value & (1 << (shift + 10)) != 0 {
            value ^= 0x537 << shift
        }
        return value
    }
}
