import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import EngineIO

/// Every session is handed to the layer above through the stored session handler. Reading that
/// handler once wrapped it in a new pair of reabstraction thunks, so the n-th session's call went
/// through 2n thunks: handshakes slowed down with every session ever made, and the stack
/// overflowed (~148,000 sessions on an 8 MB stack, ~16,000 on 1 MB).
@Suite struct SessionHandlerTests {
    @Test func announcingManySessionsOnASmallStackNeitherCrashesNorSlowsDown() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let engine = EngineServer(group: group, logger: Logger(label: "test"))
        let calls = Counter()
        engine.onSession { _ in calls.increment() }
        let loop = group.next()
        let count = 30_000
        // A 256 KiB stack: 30,000 sessions' worth of thunks (60,000 frames) cannot fit in it. The
        // test awaits the thread without blocking a thread of the cooperative pool.
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                let session = EngineSession(
                    server: engine, transport: .polling, eventLoop: loop,
                    handshake: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), remoteAddress: nil)
                for _ in 0..<count { engine.currentSessionHandler?(session) }
                finished.resume()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        #expect(calls.value == count)
        try await group.shutdownGracefully()
    }
}

// @unchecked Sendable: `count` is only touched under `lock`.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
