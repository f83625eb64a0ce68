import Foundation
import NIOCore
import TestSupport
import Testing

@testable import HTTPServer

/// The request-head deadline: its decisions without sockets, then a live server with a short one.
@Suite struct HeadDeadlineTests {
    @Test func theFirstHeadsClockRunsFromAcceptAndStopsAtTheHead() {
        var deadline = HeadDeadline()
        #expect(deadline.phase == .awaitingHead)
        #expect(deadline.expired() == .close)  // nothing came: close without a word
        #expect(deadline.received(bytes: 1) == .unchanged)  // a byte does not reset the clock
        #expect(deadline.received(bytes: 1) == .unchanged)
        #expect(deadline.expired() == .answerRequestTimeout)  // part of a head came: 408
        #expect(deadline.headComplete() == .cancel)
        #expect(deadline.received(bytes: 500) == .unchanged)  // the body is not the head's business
        deadline.requestComplete()
        #expect(deadline.phase == .betweenRequests)
    }

    @Test func aFollowUpsClockRunsFromItsFirstByte() {
        var deadline = HeadDeadline()
        _ = deadline.received(bytes: 40)
        _ = deadline.headComplete()
        deadline.requestComplete()
        #expect(deadline.received(bytes: 0) == .unchanged)
        #expect(deadline.received(bytes: 1) == .start)
        #expect(deadline.phase == .awaitingHead)
        #expect(deadline.received(bytes: 1) == .unchanged)
        // An answer went out earlier on this connection (maybe still going): no 408 in its stream.
        #expect(deadline.expired() == .close)
        #expect(deadline.headComplete() == .cancel)
        #expect(deadline.heads == 2)
    }

    private func server(headerTimeout: TimeAmount) async throws -> InProcessServer {
        var configuration = HTTPServerConfiguration()
        configuration.headerTimeout = headerTimeout
        let server = InProcessServer(http: configuration)
        server.http.route(.GET, "/ok") { _ in .text(.ok, "ok\n") }
        return try await server.start()
    }

    @Test func aSilentConnectionAndATrickledHeadAreClosedAtTheDeadline() async throws {
        let server = try await server(headerTimeout: .milliseconds(300))
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            // Opened and sent nothing: closed, no answer.
            let silent = try RawConnection(port: port)
            var start = Date()
            #expect(try silent.fill(timeout: 30) == false)
            var elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 0.2 && elapsed < 5, "closed after \(elapsed) s")

            // A head trickled a byte every 50 ms, which an idle timeout would never catch: 408, closed.
            let slow = try RawConnection(port: port)
            start = Date()
            for byte in Array(
                "GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8)
            {
                guard (try? slow.write([byte])) != nil else { break }
                var pfd = pollfd(fd: slow.fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 50) > 0 { break }
            }
            let (status, _) = try slow.readHead(timeout: 30)
            elapsed = Date().timeIntervalSince(start)
            #expect(status == 408)
            #expect(elapsed >= 0.2 && elapsed < 5, "answered after \(elapsed) s")
            while try slow.fill(timeout: 30) {}
        }
    }

    @Test func keepAliveAndWebSocketsOutliveTheDeadlineButASlowFollowUpDoesNot() async throws {
        let server = try await server(headerTimeout: .milliseconds(300))
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            let connection = try RawConnection(port: port)
            let request = Array("GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
            for _ in 0..<2 {
                try connection.write(request)
                let (status, headers) = try connection.readHead(timeout: 30)
                #expect(status == 200)
                try connection.need(Int(headers["content-length"]!)!, timeout: 30)
                _ = connection.take(Int(headers["content-length"]!)!)
                Thread.sleep(forTimeInterval: 0.8)  // idle between requests: the idle timeout's business
            }
            // A follow-up's head trickled: closed once its first byte is 300 ms old, without a 408.
            let start = Date()
            for byte in request.prefix(20) {
                guard (try? connection.write([byte])) != nil else { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(try connection.fill(timeout: 30) == false)
            #expect(connection.buffer.isEmpty)
            #expect(Date().timeIntervalSince(start) < 5)

            // An upgraded WebSocket is no request head: it stays open past the deadline.
            let socket = try RawWebSocket(port: port, path: "/socket.io/?EIO=4&transport=websocket")
            _ = try socket.receive(timeout: 30)  // open
            Thread.sleep(forTimeInterval: 0.8)
            try socket.send("40")
            guard case .text(let connected) = try socket.receiveSkippingPings(timeout: 30) else {
                Issue.record("no CONNECT answer on the upgraded connection")
                return
            }
            #expect(connected.hasPrefix("40"))

            // The upgrade request and a first frame in one write: the frame reaches the WebSocket.
            let eager = try RawConnection(port: port)
            let upgrade =
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n"
            try eager.write(Array(upgrade.utf8) + [0x81, 0x82, 0, 0, 0, 0, 0x34, 0x30])  // masked text "40"
            #expect(try eager.readHead(timeout: 30).status == 101)
            try eager.need(1, timeout: 30)
            #expect(try http("GET", port: port, "/ok", timeout: 30).status == 200)
        }
    }

    @Test func aKeepAliveConnectionThatSendsNothingIsClosedAtTheIdleTimeout() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerTimeout = .seconds(30)
        configuration.idleTimeout = .milliseconds(400)  // `idle_timeout`
        let server = InProcessServer(http: configuration)
        server.http.route(.GET, "/ok") { _ in .text(.ok, "ok\n") }
        _ = try await server.start()
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            let connection = try RawConnection(port: port)
            // The server reads the request after this instant: it may not close before 400 ms on.
            let start = Date()
            try connection.write(Array("GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            #expect(try connection.readHead(timeout: 30).status == 200)
            while try connection.fill(timeout: 60) {}  // the body, then the close
            // Not before the idle timeout; and closed at all (nothing else closes a quiet keep-alive
            // connection: the head deadline runs only once a follow-up's first byte came). No upper
            // bound tighter than that: a loaded machine delays the timer by seconds.
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 0.4, "closed \(elapsed) s after the request")
        }
    }
}
