/// fitchat's version. Its one source is the top entry of packaging/changelog: `packaging/build-deb`
/// refuses to build when they differ, and `VersionTests` fails `swift test` the same way.
public enum FitchatVersion {
    public static let string = "0.1.0"
}
