/// Why the settings could not be loaded; each says which file, line or variable to fix.
public enum SettingsError: Error, Equatable, CustomStringConvertible {
    /// `--config` or `FITCHAT_CONFIG` named a file that is not there.
    case configFileMissing(path: String, namedBy: String)
    case configFileUnreadable(path: String, reason: String)
    case configFileNotText(path: String)
    case notKeyValue(path: String, line: Int)
    case unknownSetting(source: String, key: String, known: [String])
    case invalidValue(source: String, key: String, value: String, expected: String)
    case tokenSecretFileUnreadable(path: String)
    case tokenSecretFileEmpty(path: String)

    public var description: String {
        switch self {
        case .configFileMissing(let path, let namedBy): "config file \(path) does not exist (from \(namedBy))"
        case .configFileUnreadable(let path, let reason): "cannot read config file \(path): \(reason)"
        case .configFileNotText(let path): "config file \(path) is not UTF-8 text"
        case .notKeyValue(let path, let line): "\(path):\(line): expected 'key = value'"
        case .unknownSetting(let source, let key, let known):
            "\(source): unknown setting '\(key)' (known: \(known.joined(separator: ", ")))"
        case .invalidValue(let source, let key, let value, let expected):
            "\(source): invalid \(key) '\(value)': \(expected)"
        case .tokenSecretFileUnreadable(let path): "cannot read token_secret_file \(path)"
        case .tokenSecretFileEmpty(let path): "token secret file \(path) is empty"
        }
    }
}
