import ArgumentParser
import ChatModel
import ChatStore
import Foundation
import LMDB

/// `fitchat-bench crash-child`: appends forever from several tasks and prints `ACK <id>` after
/// each durable ack. The crash test kills it with SIGKILL and checks every acked id survived.
struct CrashChild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-child",
        abstract: "Append in a loop, printing ACK <id> per durable ack (for the crash test).")

    @Option var dataDir: String
    @Option var tasks: Int = 8

    func run() async throws {
        let store = try ChatStore.open(directory: dataDir, migrate: true)
        let room = try store.room(named: "general")!
        var user = try store.user(named: "crash")
        if user == nil {
            user = try await store.createUser(name: "crash", displayName: "Crash", role: .member, passwordHash: nil)
        }
        let userID = user!.id
        printLine("READY")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var sequence = 0
                    while true {
                        let message = try await store.append(
                            NewMessage(roomID: room.id, userID: userID, text: "task \(task) #\(sequence)"))
                        printLine("ACK \(message.id)")
                        sequence += 1
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// `fitchat-bench hold-reader`: opens a read transaction and keeps it until killed, leaving a
/// stale reader slot behind when killed with SIGKILL (for the stale-reader cleanup test).
struct HoldReader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold-reader", abstract: "Hold a read transaction until killed (tests).")
    @Option var path: String

    func run() throws {
        let environment = try Environment(path: path)
        try environment.read { _ in
            printLine("READY")
            while true { sleep(60) }
        }
    }
}
