import Foundation

/// Where the defaults point: the source tree (`./var`) or the installed layout (`/var/lib/fitchat`).
public struct InstallLayout: Sendable, Equatable {
    public var isInstalled: Bool
    public var executableDir: String

    public static let configFile = "/etc/fitchat/fitchat.conf"
    /// Made by the package at first install (root:fitchat 0640), kept on upgrade.
    public static let tokenSecretFile = "/etc/fitchat/token-secret"

    public init(isInstalled: Bool, executableDir: String) {
        self.isInstalled = isInstalled
        self.executableDir = executableDir
    }

    /// The running binary is "installed" when it lives under /usr (the Debian package puts it in /usr/bin).
    public static func detect(executablePath: String = currentExecutablePath()) -> InstallLayout {
        let resolved = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().path
        let dir = (resolved as NSString).deletingLastPathComponent
        return InstallLayout(isInstalled: resolved.hasPrefix("/usr/"), executableDir: dir)
    }

    /// The binary itself, from /proc/self/exe: argv[0] is only a name when run from PATH
    /// (`fitchat` in / would be taken for /fitchat).
    public static func currentExecutablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments.first ?? ""
    }

    public var defaultDataDir: String { isInstalled ? "/var/lib/fitchat" : "var" }
    public var defaultRuntimeDir: String? { isInstalled ? "/run/fitchat" : nil }
    public var defaultWebRoot: String? { isInstalled ? "/usr/share/fitchat/www" : nil }
    public var defaultTokenSecretFile: String? { isInstalled ? InstallLayout.tokenSecretFile : nil }
}
