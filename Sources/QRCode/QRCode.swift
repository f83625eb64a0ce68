import CQRencode

/// A QR code made by Debian's libqrencode, rendered as SVG for the admin page (invite links to
/// print for the front desk). The matrix is libqrencode's own; only the drawing is ours.
public struct QRCode: Sendable, Equatable {
    public enum ErrorCorrection: Sendable {
        case low, medium, quartile, high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    public struct EncodingFailed: Error, CustomStringConvertible {
        public var length: Int
        public var description: String { "could not make a QR code of \(length) bytes (too long?)" }
    }

    /// Modules per side (21 for version 1, +4 per version).
    public let size: Int
    /// The symbol version libqrencode chose (1–40), the smallest that holds the text.
    public let version: Int
    /// Row-major, `true` is dark.
    public let modules: [Bool]

    /// Encodes `text` as 8-bit bytes (UTF-8), in the smallest version that fits.
    public init(_ text: String, correction: ErrorCorrection = .medium) throws {
        let bytes = Array(text.utf8)
        guard
            let code = bytes.withUnsafeBufferPointer({ buffer in
                QRcode_encodeData(Int32(buffer.count), buffer.baseAddress, 0, correction.level)
            })
        else { throw EncodingFailed(length: bytes.count) }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        version = Int(code.pointee.version)
        // Bit 0 of each byte is the module's colour; the other bits describe what the module is.
        modules = (0..<width * width).map { code.pointee.data[$0] & 1 == 1 }
    }

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// An SVG drawing: a white background and one `<path>` of the dark modules (horizontal runs),
    /// surrounded by a quiet zone of `quietZone` modules; the `viewBox` is in modules, so the
    /// drawing scales to any size without blurring.
    public func svg(quietZone: Int = 4, label: String = "QR code") -> String {
        let side = size + 2 * quietZone
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else {
                    x += 1
                    continue
                }
                let start = x
                while x < size, self[x, y] { x += 1 }
                path += "M\(start + quietZone) \(y + quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\" role=\"img\" aria-label=\"\(Self.escape(label))\" "
            + "shape-rendering=\"crispEdges\"><rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/>"
            + "<path fill=\"#000\" d=\"\(path)\"/></svg>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
