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

    static let inviteFields: Set<String> = ["uses", "expires", "role"]

    static func refusal(_ read: () throws -> Void) -> AdminFailure? {
        do {
            try read()
            return nil
        } catch let failure as AdminFailure {
            return failure
        } catch {
            return nil
        }
    }

    @Test func jsonBodiesAreTyped() throws {
        let body = try AdminRoutes.Body(
            Self.request(#"{"uses": 3, "private": true, "name": "spin", "role": "admin", "none": null}"#),
            allowed: ["uses", "private", "name", "role", "none"], required: ["name"])
        #expect(try body.int("uses") == 3)
        #expect(try body.bool("private") == true)
        #expect(try body.string("name") == "spin")
        #expect(try body.role() == .admin)
        #expect(try body.int("none") == nil && body.string("missing") == nil)
        #expect(try body.int("missing") == nil)
        let typed = try AdminRoutes.Body(
            Self.request("{\"uses\":1}", type: "Application/JSON; charset=utf-8"), allowed: Self.inviteFields)
        #expect(try typed.int("uses") == 1)
    }

    @Test func wrongTypesAreRefusedNotDefaulted() throws {
        let text =
            #"{"uses":"many","also":1.5,"flag":2,"yes":true,"role":"owner","number":5,"word":"yes","digits":"3"}"#
        let body = try AdminRoutes.Body(
            Self.request(text), allowed: ["uses", "also", "flag", "yes", "role", "number", "word", "digits"])
        for (read, field) in [
            ({ _ = try body.int("uses") }, "'uses'"), ({ _ = try body.int("also") }, "'also'"),
            ({ _ = try body.int("yes") }, "'yes'"), ({ _ = try body.int("digits") }, "'digits'"),
            ({ _ = try body.bool("flag") }, "'flag'"), ({ _ = try body.bool("word") }, "'word'"),
            ({ _ = try body.role() }, "'role'"), ({ _ = try body.string("number") }, "'number'"),
        ] as [(() throws -> Void, String)] {
            let failure = try #require(Self.refusal(read))
            #expect(failure.status == .badRequest && failure.code == .invalidRequest)
            #expect(failure.message.contains(field), "\(failure.message)")
        }
        let role = try AdminRoutes.Body(Self.request(#"{"role":5}"#), allowed: ["role"])
        #expect(Self.refusal { _ = try role.role() }?.code == .invalidRequest)
    }

    @Test func onlyAJSONObjectIsABody() {
        for (text, type) in [
            (#"{"uses":1,"#, "application/json"), ("[1, 2]", "application/json"), ("7", "application/json"),
            ("", "application/json"), (#"{"uses":1}"#, "text/plain"), (#"{"uses":1}"#, ""),
            ("uses=1", "application/x-www-form-urlencoded"), (#"{"uses":1}"#, "application/jsonp"),
        ] {
            let failure = Self.refusal {
                _ = try AdminRoutes.Body(Self.request(text, type: type), allowed: Self.inviteFields)
            }
            #expect(failure?.status == .badRequest && failure?.code == .invalidRequest, "\(text) as \(type)")
        }
    }

    @Test func unknownAndMissingFieldsAreNamed() throws {
        let unknown = try #require(
            Self.refusal {
                _ = try AdminRoutes.Body(Self.request(#"{"uses":1,"expire":"7d"}"#), allowed: Self.inviteFields)
            })
        #expect(unknown.code == .invalidRequest && unknown.message.contains("'expire'"))
        let missing = try #require(
            Self.refusal {
                _ = try AdminRoutes.Body(
                    Self.request(#"{"description":"x","name":null}"#), allowed: ["name", "description", "private"],
                    required: ["name"])
            })
        #expect(missing.code == .invalidRequest && missing.message.contains("'name' is required"))
    }

    @Test func actionsWithoutFieldsTakeNoBodyOrAnEmptyObject() throws {
        try AdminRoutes.Body.none(Self.request("", type: ""))
        try AdminRoutes.Body.none(Self.request("{}"))
        #expect(Self.refusal { try AdminRoutes.Body.none(Self.request(#"{"x":1}"#)) }?.message.contains("'x'") == true)
        #expect(Self.refusal { try AdminRoutes.Body.none(Self.request("x=1", type: "text/plain")) } != nil)
    }

    @Test func joinBodiesSayWhatIsWrong() throws {
        let fields: Set<String> = ["username", "password"]
        let broken = try #require(
            Self.refusal {
                _ = try InviteRoutes.fields(Self.request(#"{"username":"#, path: "/join/C"), allowed: fields)
            })
        #expect(broken.message == "the body is not valid JSON")
        let number = try #require(
            Self.refusal {
                _ = try InviteRoutes.fields(
                    Self.request(#"{"username":5,"password":"x"}"#, path: "/join/C"), allowed: fields)
            })
        #expect(number.message == "'username' must be a string")
        let form = try InviteRoutes.fields(
            Self.request("username=ann&password=p", type: "application/x-www-form-urlencoded"), allowed: fields)
        #expect(form == ["username": "ann", "password": "p"])
    }

    @Test func invitePathsHaveExactlyOneCode() {
        #expect(InviteRoutes.exact(Self.request("", path: "/join/CODE"), segments: 2) == nil)
        #expect(InviteRoutes.exact(Self.request("", path: "/api/join/CODE"), segments: 3) == nil)
        for (path, segments) in [
            ("/join/a/b/CODE", 2), ("/join/CODE/", 2), ("/join//CODE", 2), ("/api/join/a/b/CODE", 3),
            ("/api/welcome/a/CODE", 3),
        ] {
            let response = InviteRoutes.exact(Self.request("", path: path), segments: segments)
            #expect(response?.status == .notFound, "\(path)")
            #expect(response.map { String(buffer: $0.body) }?.contains(#""code":"not_found""#) == true)
        }
    }

    @Test func theThrottleSaysTheWaitOfItsRetryAfter() {
        #expect(
            InviteRoutes.throttledMessage(retryAfter: 3)
                == "too many attempts from your address; try again in 3 seconds")
        #expect(InviteRoutes.throttledMessage(retryAfter: 1).hasSuffix("in 1 second"))
    }

    @Test func deadInvitationsAre410WithTheirReason() {
        for (error, reason, code) in [
            (InviteError.expired, "expired", "invite_expired"), (.usedUp, "used_up", "invite_used_up"),
            (.revoked, "revoked", "invite_revoked"),
        ] {
            let failure = AdminFailure(error)
            #expect(failure.status == .gone && failure.reason == reason && failure.code.rawValue == code)
        }
        let unknown = AdminFailure(InviteError.unknown)
        #expect(unknown.status == .notFound && unknown.code.rawValue == "not_found")
        #expect(AdminFailure(InviteError.notFound(id: 9)).code.rawValue == "not_found")
        #expect(AdminFailure(SignInLinkError.used).reason == "used_up")
        #expect(AdminFailure(SignInLinkError.used).code.rawValue == "link_used_up")
        #expect(AdminFailure(SignInLinkError.expired).code.rawValue == "link_expired")
        #expect(AdminFailure(SignInLinkError.unknown).code.rawValue == "not_found")
        let disabled = AdminFailure(SignInLinkError.userDisabled)
        #expect(disabled.status == .forbidden && disabled.code.rawValue == "account_disabled")
    }

    @Test func failuresMapToStatusesAndCodesThatAgree() {
        let cases: [(Error, HTTPResponseStatus, String)] = [
            (RepositoryError.userExists("ann"), .conflict, "name_taken"),
            (RepositoryError.roomExists("spin"), .conflict, "name_taken"),
            (RepositoryError.displayNameTaken("ann"), .conflict, "name_taken"),
            (RepositoryError.userNotFound("x"), .notFound, "not_found"),
            (RepositoryError.roomNotFound("x"), .notFound, "not_found"),
            (ChatError.roomNotFound("x"), .notFound, "not_found"),
            (NameError.invalidUserName("a b"), .badRequest, "invalid_request"),
            (AdminError.lastAdmin(name: "owner"), .conflict, "last_admin"),
            (ChatError(.messageTooLong, "too long"), .badRequest, "message_too_long"),
        ]
        for (error, status, code) in cases {
            let failure = AdminFailure(error)
            #expect(failure.status == status && failure.code.rawValue == code, "\(error)")
        }
        #expect(AdminRoutes.notFound.status == .notFound && AdminRoutes.notFound.code.rawValue == "not_found")
        struct Unexpected: Error {}
        let unknown = AdminFailure(Unexpected())
        #expect(unknown.status == .internalServerError && unknown.internalFailure)
        #expect(unknown.code.rawValue == "internal_error")
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
