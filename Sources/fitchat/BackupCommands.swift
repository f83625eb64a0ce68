import Administration
import ArgumentParser

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a hot, compacted copy of the store into DEST (a new or empty directory); safe while the daemon runs."
    )
    @Argument(help: "Directory to write data.mdb into.") var destination: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let settings = try store.storeSettings()
        let file = try await StoreOperations.backup(settings: settings, to: destination)
        print("backup written to \(file)")
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Replace the store with a backup made by 'fitchat backup'; refuses while a daemon serves the data directory."
    )
    @Argument(help: "Directory holding the backup's data.mdb.") var source: String
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let settings = try store.storeSettings()
        let kept = try StoreOperations.restore(settings: settings, from: source)
        print("restored from \(source)" + (kept.map { "; the previous data is kept as \($0)" } ?? ""))
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every message as JSON Lines, oldest first; safe while the daemon runs.")
    @Option(help: "Only this room.") var room: String?
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let settings = try store.storeSettings()
        try MessageExport.write(settings: settings, room: room) { line in print(line) }
    }
}
