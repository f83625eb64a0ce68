import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import ChatStore
@testable import FitchatCore

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
            path = FileManager.default.temporaryDirectory.appendingPathComponent("wd-\(UUID().uuidString.prefix(8)).sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
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

    /// Runs the watchdog for `duration` with `interval`, and returns what it told "systemd".
    func keepAlives(group: EventLoopGroup, store: ChatStore, interval: Duration, for duration: Duration) async throws -> [String] {
        let notify = try NotifySocket()
        setenv("NOTIFY_SOCKET", notify.path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        let watchdog = Watchdog(interval: interval, group: group, store: store, notifier: Notifier(), logger: Logger(label: "test"))
        let running = Task { await watchdog.run() }
        try await Task.sleep(for: duration)
        running.cancel()
        await running.value
        return notify.drain().filter { $0.contains("WATCHDOG=1") }
    }

    @Test func aHealthyDaemonIsKeptAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try ChatStore.open(directory: NSTemporaryDirectory() + "wd-\(UUID().uuidString)")
        defer { store.close() }
        let sent = try await keepAlives(group: group, store: store, interval: .milliseconds(400), for: .milliseconds(1500))
        try await group.shutdownGracefully()
        // Every half interval: about 7 in 1.5 s; at least 2 however loaded the machine is.
        #expect(sent.count >= 2, "\(sent)")
    }

    @Test func aHungEventLoopGetsNoKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try ChatStore.open(directory: NSTemporaryDirectory() + "wd-\(UUID().uuidString)")
        defer { store.close() }
        let release = DispatchSemaphore(value: 0)
        let loops = Array(group.makeIterator())
        loops[1].execute { release.wait() }
        let sent = try await keepAlives(group: group, store: store, interval: .milliseconds(300), for: .milliseconds(1500))
        release.signal()
        try await group.shutdownGracefully()
        #expect(sent == [], "keep-alives went out while an event loop hung")
    }

    @Test func aDeadStoreWriterGetsNoKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try ChatStore.open(directory: NSTemporaryDirectory() + "wd-\(UUID().uuidString)")
        store.close()  // the writer thread is gone: its ping fails
        let sent = try await keepAlives(group: group, store: store, interval: .milliseconds(300), for: .milliseconds(1200))
        try await group.shutdownGracefully()
        #expect(sent == [], "keep-alives went out although the store writer did not answer")
    }

    @Test func aHungStoreWriterGetsNoKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let store = try ChatStore.open(directory: NSTemporaryDirectory() + "wd-\(UUID().uuidString)")
        defer { store.close() }
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        // A write that never ends holds the writer thread, as a stuck disk would.
        let stuck = Task { try await store.write { _, _ in entered.signal(); release.wait() } }
        entered.wait()
        let sent = try await keepAlives(group: group, store: store, interval: .milliseconds(300), for: .milliseconds(1500))
        release.signal()
        _ = try? await stuck.value
        try await group.shutdownGracefully()
        #expect(sent == [], "keep-alives went out while the store writer hung")
    }
}
