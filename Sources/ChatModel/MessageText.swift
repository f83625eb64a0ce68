/// Rules for the text of a message. Text is stored exactly as accepted; escaping is the
/// renderer's job, so nothing here rewrites characters.
public enum MessageText {
    public static let limit = TextLimit.message
    public static var maxCharacters: Int { limit.maxCharacters }

    /// The trimmed text, or why it is refused: empty or control characters other than newline
    /// and tab → `invalid_message`; over 2,000 characters, 4,000 scalars or 8 KiB → `message_too_long`.
    public static func validate(_ raw: String) -> Result<String, ChatError> {
        let text = raw.trimmingWhitespace()
        guard !text.isEmpty else { return .failure(ChatError(.invalidMessage, "a message needs some text")) }
        guard limit.allows(text) else {
            return .failure(ChatError(.messageTooLong, "messages are \(limit.description)"))
        }
        let forbidden = text.unicodeScalars.contains { scalar in
            scalar != "\n" && scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }
        guard !forbidden else { return .failure(ChatError(.invalidMessage, "control characters are not allowed")) }
        return .success(text)
    }
}

extension String {
    /// Drops leading and trailing whitespace and newlines (Unicode-aware, no Foundation).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
