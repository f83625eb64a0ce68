/// What a new password must be, the same for the page's forms and the CLI: at least 8
/// characters, and at most 1,024 bytes (scrypt hashes any length; a bound keeps a request from
/// handing it megabytes).
public enum PasswordRules {
    public static let minimumCharacters = 8
    public static let maximumBytes = 1024

    public static func validate(_ password: String) -> Result<String, ChatError> {
        guard password.count >= minimumCharacters else {
            return .failure(ChatError(.invalidRequest, "a password needs at least \(minimumCharacters) characters"))
        }
        guard password.utf8.count <= maximumBytes else {
            return .failure(ChatError(.invalidRequest, "a password may have at most \(maximumBytes) bytes"))
        }
        return .success(password)
    }
}
