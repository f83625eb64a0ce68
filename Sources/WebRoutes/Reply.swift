import ChatModel
import ChatService
import Foundation
import HTTPServer
import NIOCore
import NIOHTTP1
import SocketIOProtocol

/// The two ways to answer: JSON for scripts, redirects for the page's forms.
struct Reply {
    var json: Bool
    /// The request came over HTTPS (a trusted proxy said so): cookies set in the answer are `Secure`.
    var secure = false

    /// `; Secure` when the request came over HTTPS, for a `Set-Cookie` value.
    var cookieAttributes: String {
        secure ? "; Path=/; HttpOnly; Secure; SameSite=Strict" : "; Path=/; HttpOnly; SameSite=Strict"
    }

    func success(_ fields: [String: JSONValue], redirect: String) -> HTTPResponse {
        guard json else { return Self.redirect(redirect) }
        return Self.json(.ok, ChatJSON.success(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    func failure(_ status: HTTPResponseStatus, _ error: ChatError, back: String, retryAfter: Int? = nil) -> HTTPResponse
    {
        var response =
            json
            ? Self.json(status, ChatJSON.failure(error))
            : Self.redirect(back.contains("?") ? back : back + "?error=\(error.code.rawValue)")
        if let retryAfter { response.headers.add(name: "Retry-After", value: "\(retryAfter)") }
        return response
    }

    static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: .seeOther, headers: ["Location": location, "Cache-Control": "no-store"])
    }

    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
            body: ByteBuffer(string: value.jsonString))
    }
}
