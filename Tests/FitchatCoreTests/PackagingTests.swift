import Foundation
import Testing

@testable import Configuration

/// The package and the code agree: one version, and a conffile that documents every setting.
@Suite struct PackagingTests {
    static let packaging = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("packaging")

    @Test func theVersionIsTheChangelogs() throws {
        let changelog = try String(contentsOf: Self.packaging.appendingPathComponent("changelog"), encoding: .utf8)
        // "fitchat (0.1.0-1) bookworm; urgency=medium": upstream version before the Debian revision.
        let first = try #require(changelog.split(separator: "\n").first)
        let open = try #require(first.firstIndex(of: "("))
        let close = try #require(first.firstIndex(of: ")"))
        let debianVersion = first[first.index(after: open)..<close]
        let upstream = debianVersion[..<(debianVersion.lastIndex(of: "-") ?? debianVersion.endIndex)]
        #expect(String(upstream) == FitchatVersion.string)
    }

    @Test func theConffileShowsEverySettingCommentedOut() throws {
        let text = try String(contentsOf: Self.packaging.appendingPathComponent("fitchat.conf"), encoding: .utf8)
        #expect(try SettingsLoader.parseConfigFile(text, path: "fitchat.conf").isEmpty, "every line is a comment")
        // "#key = default" lines (prose comments start with "# ").
        let uncommented = text.split(separator: "\n").filter {
            $0.hasPrefix("#") && $0.dropFirst().first?.isLowercase == true
        }
        .map { String($0.dropFirst()) }.joined(separator: "\n")
        let entries = try SettingsLoader.parseConfigFile(uncommented, path: "fitchat.conf")
        #expect(Set(entries.map(\.1)) == Set(SettingsLoader.keys))
    }
}
