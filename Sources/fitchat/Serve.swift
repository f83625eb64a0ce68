import ArgumentParser
import Configuration
import FitchatDaemon

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the chat daemon (socket-activated by systemd, or on its own listening socket).")

    @Option(
        help:
            "Address to listen on when systemd passes no socket, HOST:PORT (default 127.0.0.1:8080; env FITCHAT_LISTEN)."
    )
    var listen: String?

    @Option(help: "Directory of the chat page's files (env FITCHAT_WEB_ROOT).")
    var webRoot: String?

    @Option(help: "Where logs go: auto (journald when started by systemd), journal or stderr.")
    var logTarget: String?

    @Option(
        help: "Open TCP connections at most, or auto (from the file-descriptor limit; env FITCHAT_MAX_CONNECTIONS).")
    var maxConnections: String?

    @Option(
        help: "Address members open, for the links fitchat prints (default http://LISTEN/; env FITCHAT_PUBLIC_URL).")
    var publicURL: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        var flags: [String: String] = [:]
        if let listen { flags["listen"] = listen }
        if let webRoot { flags["web_root"] = webRoot }
        if let logTarget { flags["log_target"] = logTarget }
        if let maxConnections { flags["max_connections"] = maxConnections }
        if let publicURL { flags["public_url"] = publicURL }
        let settings = try store.settings(extraFlags: flags)
        try await Daemon(settings: settings).run()
    }
}
