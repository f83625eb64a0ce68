import Crypto
import Foundation
import HTTPServer
import NIOCore
import NIOHTTP1

/// The page's files, read once at start: each with its content type and a strong ETag, so
/// browsers revalidate cheaply (`Cache-Control: no-cache` + `If-None-Match` → 304).
public final class StaticFiles: Sendable {
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
    }

    public let root: String
    private let files: [String: File]

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json",
        "webmanifest": "application/manifest+json", "txt": "text/plain; charset=utf-8",
    ]

    /// The page may load only its own scripts, styles and images, and talk only to its own origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    public init(root: String) throws {
        self.root = root
        var files: [String: File] = [:]
        let base = URL(fileURLWithPath: root).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
        else {
            throw WebRootMissing(path: root)
        }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                let type = Self.contentTypes[url.pathExtension.lowercased()]
            else { continue }
            let data = try Data(contentsOf: url)
            let relative = String(url.standardizedFileURL.path.dropFirst(base.path.count))
            let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
            files[relative] = File(body: ByteBuffer(bytes: data), contentType: type, etag: "\"\(digest)\"")
        }
        guard files["/chat.html"] != nil else { throw WebRootMissing(path: root) }
        self.files = files
    }

    struct WebRootMissing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "no chat page in \(path) (set --web-root or FITCHAT_WEB_ROOT to the folder with chat.html)"
        }
    }

    /// The response for a file (`/static/chat.css`, `/chat.html`), honouring If-None-Match.
    func response(for path: String, request: HTTPRequest) -> HTTPResponse? {
        guard let file = files[path] else { return nil }
        var headers = Self.securityHeaders()
        headers.add(name: "Content-Type", value: file.contentType)
        headers.add(name: "ETag", value: file.etag)
        headers.add(name: "Cache-Control", value: "no-cache")
        if request.headers["If-None-Match"].contains(where: {
            $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == file.etag }
        }) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: file.body)
    }

    static func securityHeaders() -> HTTPHeaders {
        [
            "Content-Security-Policy": contentSecurityPolicy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        ]
    }
}
