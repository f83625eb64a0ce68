import Foundation
import NIOCore
import TestSupport
import Testing

@testable import HTTPServer

/// Pipelined requests (issue-17 attack: thousands of `GET` sent ahead and never read cost the
/// daemon megabytes per connection): answered in order up to a depth, and a connection that goes
/// past it is closed; a client that does not read gets no more answers queued.
@Suite struct PipeliningTests {
    private func server() async throws -> InProcessServer {
        let server = InProcessServer(http: HTTPServerConfiguration())
        server.http.route(.GET, "/ok") { _ in .text(.ok, "ok\n") }
        server.http.route(.GET, "/big") { _ in .text(.ok, String(repeating: "x", count: 200_000)) }
        return try await server.start()
    }

    static func requests(_ count: Int, path: String) -> [UInt8] {
        Array(String(repeating: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", count: count).utf8)
    }

    @Test func pipelinedRequestsWithinTheDepthAreAnsweredInOrder() async throws {
        let server = try await server()
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            let connection = try RawConnection(port: port)
            try connection.write(Self.requests(PipelineDepthLimit.maxDepth, path: "/ok"))
            for _ in 0..<PipelineDepthLimit.maxDepth {
                #expect(try connection.readHead(timeout: 10).status == 200)
                try connection.need(3, timeout: 10)
                #expect(connection.take(3) == Array("ok\n".utf8))
            }
        }
    }

    @Test func aConnectionPipeliningPastTheDepthIsClosed() async throws {
        let server = try await server()
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            let connection = try RawConnection(port: port)
            // Never reading: big answers fill the socket, and the requests keep coming.
            for _ in 0..<200 {
                guard (try? connection.write(Self.requests(50, path: "/big"))) != nil else { break }
            }
            var received = 0
            while try connection.fill(timeout: 10) { received = connection.buffer.count }
            // Closed, having answered no more than the depth allows.
            #expect(received <= (PipelineDepthLimit.maxDepth + 1) * 200_300, "\(received) bytes")
            // The server is fine: a new connection is answered.
            #expect(try http("GET", port: port, "/ok", timeout: 10).status == 200)
        }
    }

    @Test func bigAnswersOneAfterAnotherOnAKeepAliveConnectionAllComeThrough() async throws {
        // An answer above the write buffer's high watermark makes the channel unwritable until it
        // drains; its end must still go out (a first version held it for ever when the flush
        // drained at once, and the page's scripts stopped loading).
        let server = try await server()
        defer { Task { await server.stop() } }
        let port = server.port
        try await blocking {
            let connection = try RawConnection(port: port)
            for _ in 0..<3 {
                try connection.write(Self.requests(1, path: "/big"))
                #expect(try connection.readHead(timeout: 10).status == 200)
                try connection.need(200_000, timeout: 10)
                _ = connection.take(200_000)
            }
        }
    }
}
