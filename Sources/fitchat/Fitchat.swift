import ArgumentParser
import FitchatCore
import Foundation

@main
struct Fitchat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fitchat",
        abstract: "A self-hosted real-time chat for gyms.",
        discussion: "Settings come from flags, then FITCHAT_* environment variables, then the config file (/etc/fitchat/fitchat.conf), then defaults.",
        subcommands: [
            Serve.self, DB.self, UserCommand.self, RoomCommand.self, TokenCommand.self, Export.self, Backup.self, Restore.self,
        ]
    )

    /// Before anything is written: every file fitchat creates is 0640 or stricter (the store
    /// and its backups hold password hashes), whatever umask the caller had.
    static func main() async {
        umask(FileModes.umask)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Data directory (default ./var from the source tree, /var/lib/fitchat when installed; env FITCHAT_DATA_DIR).")
    var dataDir: String?

    @Option(help: "Config file of 'key = value' lines (default /etc/fitchat/fitchat.conf when present; env FITCHAT_CONFIG).")
    var config: String?

    func settings(extraFlags: [String: String] = [:]) throws -> Settings {
        var flags = extraFlags
        if let dataDir { flags["data_dir"] = dataDir }
        return try SettingsLoader.load(flags: flags, configFile: config)
    }
}
