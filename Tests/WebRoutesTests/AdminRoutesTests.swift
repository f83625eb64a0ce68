import Administration
import ChatModel
import HTTPServer
import NIOCore
import NIOHTTP1
import Testing

@testable import WebRoutes

/// How the admin API and the invite routes read bodies and answer failures (the routes
/// themselves run against a real daemon in Tests/e2e/test_admin.py).
struct AdminRoutesTests {
    static func request(_ body: String, type: String = "application/json", path: String = "/api/admin/invites")
        -> HTTPRequest
    {
        HTTPRequest(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: ["Content-Type": type]),
            body: ByteBuffer(string: body))
    }

    @Test func jsonBodiesAreTyped() throws {
        let body = AdminRoutes.Body(
            Self.request(#"{"uses": 3, "private": true, "name": "spin", "role": "admin", "none": null}"#))
        #expect(try body.int("uses") == 3)
        #expect(try body.bool("private") == true)
        #expect(body.string("name") == "spin")
        #expect(try body.role() == .admin)
        #expect(try body.int("none") == nil && body.string("missing") == nil)
        #expect(try body.int("missing") == nil)
    }

    @Test func wrongTypesAreRefusedNotDefaulted() {
        let body = AdminRoutes.Body(
            Self.request(#"{"uses": "many", "also": 1.5, "flag": 2, "yes": true, "role": "owner"}"#))
        #expect(throws: AdminFailure.self) { try body.int("uses") }
        #expect(throws: AdminFailure.self) { try body.int("also") }
        #expect(throws: AdminFailure.self) { try body.int("yes") }
        #expect(throws: AdminFailure.self) { try body.bool("flag") }
        #expect(throws: AdminFailure.self) { try body.role() }
    }

    @Test func formBodiesToo() throws {
        let body = AdminRoutes.Body(
            Self.request("uses=5&private=on&name=a%20b", type: "application/x-www-form-urlencoded"))
        #expect(try body.int("uses") == 5)
        #expect(try body.bool("private") == true)
        #expect(body.string("name") == "a b")
    }

    @Test func deadInvitationsAre410WithTheirReason() {
        for (error, reason) in [(InviteError.expired, "expired"), (.usedUp, "used_up"), (.revoked, "revoked")] {
            let failure = AdminFailure(error)
            #expect(failure.status == .gone && failure.reason == reason)
        }
        #expect(AdminFailure(InviteError.unknown).status == .notFound)
        #expect(AdminFailure(SignInLinkError.used).reason == "used_up")
        #expect(AdminFailure(SignInLinkError.userDisabled).status == .forbidden)
    }

    @Test func failuresMapToStatuses() {
        #expect(AdminFailure(RepositoryError.userExists("ann")).status == .conflict)
        #expect(AdminFailure(RepositoryError.displayNameTaken("ann")).status == .conflict)
        #expect(AdminFailure(RepositoryError.roomNotFound("x")).status == .notFound)
        #expect(AdminFailure(NameError.invalidUserName("a b")).status == .badRequest)
        #expect(AdminFailure(AdminError.lastAdmin(name: "owner")).status == .conflict)
        #expect(AdminFailure(ChatError(.messageTooLong, "too long")).error.code == .messageTooLong)
        struct Unexpected: Error {}
        let unknown = AdminFailure(Unexpected())
        #expect(unknown.status == .internalServerError && unknown.internalFailure)
    }

    @Test func formsGoBackWithTheReason() {
        let failure = AdminFailure(InviteError.usedUp)
        let response = failure.response(Reply(json: false), back: "/join/CODE")
        #expect(response.status == .seeOther)
        #expect(response.headers.first(name: "Location") == "/join/CODE?error=used_up")
        let json = failure.response(Reply(json: true), back: "/join/CODE")
        #expect(json.status == .gone)
        #expect(String(buffer: json.body).contains(#""reason":"used_up""#))
    }

    @Test func theCodeIsTheLastSegment() {
        #expect(InviteRoutes.code(Self.request("", path: "/join/abc_DEF-123")) == "abc_DEF-123")
        #expect(InviteRoutes.code(Self.request("", path: "/api/welcome/xyz?x=1")) == "xyz")
    }
}
