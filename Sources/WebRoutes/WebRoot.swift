import Configuration
import Foundation

/// Where the chat page's files are: `--web-root` / `FITCHAT_WEB_ROOT`; else the installed copy
/// (`/usr/share/fitchat/www`); else the source tree's `Sources/www`, found from the binary's
/// folder upwards (so `make run` works whichever build folder the binary is in).
public enum WebRoot {
    static let sourceTreePath = "Sources/www"

    public static func resolve(configured: String?, layout: InstallLayout = .detect()) -> String {
        if let configured { return configured }
        if let installed = layout.defaultWebRoot { return installed }
        var dir = URL(fileURLWithPath: layout.executableDir)
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent(sourceTreePath)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("chat.html").path) {
                return candidate.path
            }
            dir.deleteLastPathComponent()
        }
        return sourceTreePath
    }
}
