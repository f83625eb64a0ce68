import Foundation
import Logging
import NIOCore
import NIOPosix
import Systemd
import Testing

@testable import ChatStore
@testable import FitchatDaemon

/// What systemd sees: `Watchdog.run()` with the real notifier, whose `sd_notify` writes to a
/// datagram socket this test reads (`NOTIFY_SOCKET`, as under systemd). A keep-alive must go out
/// only after a probe that passed: a hung event loop or a dead store writer must stop them.
/// Serialized: `NOTIFY_SOCKET` is process-wide.
@Suite(.serialized) struct WatchdogFeedingTests {
    /// A bound `AF_UNIX` datagram socket standing in for systemd's notify socket.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init() throws {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent("wd-\(UUID().uuidString.prefix(8)).sock")
                .path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        }

        /// Every datagram received so far, without waiting.
        func drain() -> [String] {
            var messages: [String] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if n <= 0 { return messages }
                messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
        }

        deinit {
            close(fd)
            unlink(path)
        }
    }

    /// The watchdog running against `group` and `store`, telling a `NotifySocket` what it would tell systemd.
    final class Running {
        let notify: NotifySocket
        let task: Task<Void, Never>
        private var received: [String] = []

        init(group: EventLoopGroup, store: ChatStore, interval: Duration) throws {
            notify = try NotifySocket()
            setenv("NOTIFY_SOCKET", notify.path, 1)
            let watchdog = Watchdog(
                interval: interval, group: group, store: store, notifier: Notifier(), logger: Logger(label: "test"))
            task = Task { await watchdog.run() }
        }

        /// The keep-alives sent so far.
        func keepAlives() -> [String] {
            received += notify.drain().filter { $0.contains("WATCHDOG=1") }
            return received
        }

        /// Waits (up to `timeout`, generous for a loaded machine) until `count` keep-alives came.
        func waitForKeepAlives(_ count: Int, timeout: Duration = .seconds(30)) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while keepAlives().count < count {
                guard ContinuousClock.now < deadline else { return false }
                try await Task.sleep(for: .milliseconds(20))
            }
            return true
        }

        func stop() async {
            task.cancel()
            await task.value
            unsetenv("NOTIFY_SOCKET")
        }
    }

    func makeStore() throws -> ChatStore {
        try ChatStore.open(directory: NSTemporaryDirectory() + "wd-\(UUID().uuidString)")
    }

    @Test func aHealthyDaemonIsKeptAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try makeStore()
        defer { store.close() }
        let running = try Running(group: group, store: store, interval: .milliseconds(400))
        let kept = try await running.waitForKeepAlives(3)
        await running.stop()
        try await group.shutdownGracefully()
        #expect(kept, "only \(running.keepAlives().count) keep-alives")
    }

    /// Runs the watchdog for `window` while `hang` holds, expects no keep-alive in it, then lets go
    /// and expects the keep-alives to come back (so the silence was the probe's, not a dead watchdog's).
    func expectSilence(group: EventLoopGroup, store: ChatStore, window: Duration, release: () -> Void) async throws {
        let running = try Running(group: group, store: store, interval: .milliseconds(300))
        try await Task.sleep(for: window)
        let during = running.keepAlives()
        release()
        let back = try await running.waitForKeepAlives(during.count + 1)
        await running.stop()
        #expect(during == [], "keep-alives went out although the health probe failed")
        #expect(back, "the keep-alives did not come back once the hang ended")
    }

    @Test func aHungEventLoopGetsNoKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try makeStore()
        defer { store.close() }
        let hang = DispatchSemaphore(value: 0)
        let loops = Array(group.makeIterator())
        loops[1].execute { hang.wait() }
        try await expectSilence(group: group, store: store, window: .milliseconds(1500)) { hang.signal() }
        try await group.shutdownGracefully()
    }

    @Test func aHungStoreWriterGetsNoKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try makeStore()
        defer { store.close() }
        let hang = DispatchSemaphore(value: 0)
        let (entered, enter) = AsyncStream.makeStream(of: Void.self)
        // A write that does not end holds the writer thread, as a stuck disk would.
        let stuck = Task {
            try await store.write { _, _ in
                enter.yield()
                hang.wait()
            }
        }
        var entries = entered.makeAsyncIterator()
        _ = await entries.next()
        try await expectSilence(group: group, store: store, window: .milliseconds(1500)) { hang.signal() }
        _ = try? await stuck.value
        try await group.shutdownGracefully()
    }

    @Test func aClosedStoreGetsNoKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try makeStore()
        store.close()  // the writer thread is gone: its ping fails at once
        let running = try Running(group: group, store: store, interval: .milliseconds(300))
        try await Task.sleep(for: .milliseconds(1200))
        await running.stop()
        try await group.shutdownGracefully()
        #expect(running.keepAlives() == [], "keep-alives went out although the store writer did not answer")
    }
}
