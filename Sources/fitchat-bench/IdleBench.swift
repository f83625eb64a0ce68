import Accounts
import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `fitchat-bench idle`: holds N authenticated, idle Socket.IO connections (optionally joined to a
/// room) and reports the server's resident memory before, with them, and per connection.
struct IdleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "Server memory per idle connection (RSS from /proc).")

    @OptionGroup var target: BenchTarget
    @Option(help: "Connections to hold.") var connections: Int = 1000
    @Option(help: "Join every connection to this room (default: stay in none).") var join: String?
    @Option(help: "With --join: spread the connections over M rooms named JOIN-1 … JOIN-M (they must exist).")
    var rooms: Int = 1
    @Option(help: "Seconds to hold them once all are up.") var hold: Double = 5
    @Option(help: "The server's pid (required: its memory is what is measured).") var serverPid: Int32
    @Option(help: "Prefix of the generated user names.") var userPrefix: String = "idle"
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func run() async throws {
        let (host, port) = (target.host, target.port)
        let limit = raiseOpenFileLimit()
        guard limit > connections + 64 else {
            throw BenchFailure("this process may open \(limit) files; \(connections) connections need more (ulimit -n)")
        }
        let server = ServerProcess(pid: serverPid)
        guard let before = server.residentBytes() else { throw BenchFailure("cannot read /proc/\(serverPid)/status") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let connector = BenchConnector(group: group, host: host, port: port)
        let secret = target.secret
        let prefix = userPrefix
        let room = join
        let roomNames: [String?] =
            join.map { name in rooms <= 1 ? [name] : (1...rooms).map { "\(name)-\($0)" } } ?? [nil]
        let started = DispatchTime.now().uptimeNanoseconds
        let (held, failures) = await connector.connectAll(count: connections, timeout: .seconds(120)) { index, loop in
            BenchClient(
                token: HostAppTokenSigner(secret: secret).sign(user: "\(prefix)-\(index)"),
                room: roomNames[index % roomNames.count], plan: .none,
                joined: loop.makePromise())
        }
        let setup = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        try await Task.sleep(nanoseconds: UInt64(hold * 1e9))
        let after = server.residentBytes() ?? before
        await BenchConnector.closeAll(held)
        try await group.shutdownGracefully()

        let perConnection = held.isEmpty ? 0 : Double(after - before) / Double(held.count)
        let joinedTo = room.map { rooms > 1 ? " joined to \(rooms) rooms \($0)-N" : " joined to \($0)" } ?? ""
        print(String(format: "%d connections%@ up in %.1f s (%d failed)", held.count, joinedTo, setup, failures.count))
        print(
            String(
                format: "server RSS %.1f MB before, %.1f MB with them: %.1f KB per connection",
                Double(before) / 1e6, Double(after) / 1e6, perConnection / 1024))
        if json {
            print(
                #"{"connections":\#(held.count),"joined":\#(room.map { "\"\($0)\"" } ?? "null"),"rss_before_bytes":\#(before),"#
                    + #""rss_after_bytes":\#(after),"bytes_per_connection":\#(Int(perConnection)),"failures":\#(failures.count)}"#
            )
        }
    }
}
