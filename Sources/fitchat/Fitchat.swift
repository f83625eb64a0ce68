import Administration
import ArgumentParser
import Configuration
import Foundation

@main
struct Fitchat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fitchat",
        abstract: "A self-hosted real-time chat for gyms.",
        discussion:
            "Settings come from flags, then FITCHAT_* environment variables, then the config file (/etc/fitchat/fitchat.conf), then defaults.",
        version: FitchatVersion.string,
        subcommands: [
            Serve.self, DB.self, UserCommand.self, InviteCommand.self, RoomCommand.self,
            // `fitchat notice ROOM TEXT`: the very command `fitchat room notice` is, also at the top.
            RoomCommand.Notice.self,
            ModerationCommand.self, ReportsCommand.self,
            TokenCommand.self, Export.self, Backup.self, Restore.self,
        ]
    )

    /// Before anything is written: every file fitchat creates is 0640 or stricter (the store
    /// and its backups hold password hashes), whatever umask the caller had.
    static func main() async {
        umask(FileModes.umask)
        MallocArenas.useOne()
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
    @Option(
        help:
            "Data directory (default ./var from the source tree, /var/lib/fitchat when installed; env FITCHAT_DATA_DIR)."
    )
    var dataDir: String?

    @Option(
        help: "Config file of 'key = value' lines (default /etc/fitchat/fitchat.conf when present; env FITCHAT_CONFIG)."
    )
    var config: String?

    func settings(extraFlags: [String: String] = [:]) throws -> Settings {
        var flags = extraFlags
        if let dataDir { flags["data_dir"] = dataDir }
        var settings = try SettingsLoader.load(flags: flags, configFile: config)
        // Absolute from here on: every message names the real path, whatever the working directory.
        settings.dataDir = FilePaths.absolute(settings.dataDir)
        settings.runtimeDir = settings.runtimeDir.map(FilePaths.absolute)
        return settings
    }

    /// The admin operations on the store these options name. When the operator named no data
    /// directory, says on standard error which store the defaults chose.
    func admin(migrate: Bool = false, creation: StoreAccess.Creation = .mustExist) throws -> Admin {
        let admin = try Admin(settings: try settings(), migrate: migrate, creation: creation)
        noteDefaultStore(admin.settings)
        return admin
    }

    /// The settings of a command that reads or replaces the store without `Admin` (backup,
    /// restore, export), noting which store the defaults chose.
    func storeSettings() throws -> Settings {
        let settings = try settings()
        noteDefaultStore(settings)
        return settings
    }

    /// When the operator named no data directory, says on standard error which store the defaults chose.
    private func noteDefaultStore(_ settings: Settings) {
        if dataDir == nil, ProcessInfo.processInfo.environment["FITCHAT_DATA_DIR"] == nil {
            printNote("using the store \((settings.dataDir as NSString).appendingPathComponent("data.mdb"))")
        }
    }
}

/// `--public-url` for the commands that print a link.
struct LinkOptions: ParsableArguments {
    @Option(
        help:
            "Address members open, for the printed link (default http://LISTEN/; env FITCHAT_PUBLIC_URL, public_url in the config file)."
    )
    var publicURL: String?

    /// `settings` with `--public-url` applied (checked like the setting).
    func settings(_ settings: Settings) throws -> Settings {
        guard let publicURL else { return settings }
        var settings = settings
        try SettingsLoader.apply(flag: "public_url", value: publicURL, to: &settings)
        return settings
    }

    /// Prints the link to `path` as the last line of output. When no `public_url` is set and
    /// the daemon listens on every interface (0.0.0.0 or ::), the link names an address nobody
    /// can open: a note on standard error says so.
    static func printLink(path: String, settings: Settings) {
        if settings.publicURL == nil, isWildcard(settings.listen.host) {
            printNote(
                "set public_url to the address members open; this link uses the listen address "
                    + "\(settings.listen), which is no address to open")
        }
        print(settings.link(path: path))
    }

    static func isWildcard(_ host: String) -> Bool {
        ["0.0.0.0", "::", "[::]", "*", "0:0:0:0:0:0:0:0"].contains(host)
    }
}

/// A line for the operator on standard error, so standard output stays parseable.
func printNote(_ text: String) {
    FileHandle.standardError.write(Data("fitchat: \(text)\n".utf8))
}
