import ArgumentParser
import FitchatCore
import Foundation

@main
struct Fitchat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fitchat",
        abstract: "A self-hosted real-time chat for gyms.",
        discussion: "Settings come from flags, then FITCHAT_* environment variables, then the config file (/etc/fitchat/fitchat.conf), then defaults.",
        version: FitchatVersion.string,
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

    /// `announce`: without --data-dir, say on stderr which store the command opens and why.
    func settings(extraFlags: [String: String] = [:], announce: Bool = true) throws -> Settings {
        var flags = extraFlags
        if let dataDir { flags["data_dir"] = dataDir }
        let layout = InstallLayout.detect()
        let settings = try SettingsLoader.load(flags: flags, configFile: config, layout: layout)
        if announce, dataDir == nil {
            let origin = settings.dataDir != layout.defaultDataDir ? "configured" : (layout.isInstalled ? "installed layout" : "source-tree layout")
            FileHandle.standardError.write(Data("fitchat: store \(settings.dataDir) (\(origin))\n".utf8))
        }
        return settings
    }
}
