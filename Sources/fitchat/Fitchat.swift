import ArgumentParser
import FitchatCore

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
