/// How long a piece of user text may be, counted three ways. Characters (grapheme clusters) are
/// what a person sees, but one character can hold any number of combining scalars — `"a" +
/// "\u{301}" × 450,000` is one character of 900 KB — so bytes (UTF-8) and scalars are bounded too.
public struct TextLimit: Sendable, Equatable {
    public var maxCharacters: Int
    public var maxScalars: Int
    public var maxBytes: Int

    public init(maxCharacters: Int, maxScalars: Int, maxBytes: Int) {
        self.maxCharacters = maxCharacters
        self.maxScalars = maxScalars
        self.maxBytes = maxBytes
    }

    /// Message text: 2,000 characters, 4,000 scalars, 8 KiB.
    public static let message = TextLimit(maxCharacters: 2000, maxScalars: 4000, maxBytes: 8 * 1024)
    /// Display names: 64 characters, 128 scalars, 256 bytes.
    public static let displayName = TextLimit(maxCharacters: 64, maxScalars: 128, maxBytes: 256)

    /// Whether `text` fits. The cheap counts come first, so an oversized text is refused before
    /// anything walks its grapheme clusters.
    public func allows(_ text: String) -> Bool {
        text.utf8.count <= maxBytes && text.unicodeScalars.count <= maxScalars && text.count <= maxCharacters
    }

    /// The longest prefix of whole characters that fits (for names taken from elsewhere).
    public func clip(_ text: String) -> String {
        var bytes = 0, scalars = 0, characters = 0
        var end = text.startIndex
        for character in text {
            bytes += character.utf8.count
            scalars += character.unicodeScalars.count
            characters += 1
            guard bytes <= maxBytes, scalars <= maxScalars, characters <= maxCharacters else { break }
            end = text.index(after: end)
        }
        return String(text[..<end])
    }

    /// Says what the limit is, for error messages.
    public var description: String {
        "at most \(maxCharacters) characters (\(maxBytes >= 1024 ? "\(maxBytes / 1024) KiB" : "\(maxBytes) bytes") of UTF-8)"
    }
}

/// The rules for display names: trimmed, within `TextLimit.displayName` (empty after trimming
/// means "use the user name"), and free of characters that hide or disguise a name.
public enum DisplayName {
    public static func validate(_ raw: String) -> Result<String, ChatError> {
        let text = raw.trimmingWhitespace()
        guard TextLimit.displayName.allows(text) else {
            return .failure(ChatError(.invalidRequest, "display names are \(TextLimit.displayName.description)"))
        }
        guard !hasDisguisingCharacters(text) else {
            return .failure(ChatError(.invalidRequest, "display names may not hold control, invisible or text-direction characters"))
        }
        return .success(text)
    }

    /// For names that come from a trusted source (a host app's token): cleaned and clipped to
    /// the limit rather than refused.
    public static func clipped(_ raw: String) -> String {
        let scalars = Array(raw.unicodeScalars)
        var kept = String.UnicodeScalarView()
        for index in scalars.indices where !isDisguising(scalars, at: index) { kept.append(scalars[index]) }
        return TextLimit.displayName.clip(String(kept).trimmingWhitespace()).trimmingWhitespace()
    }

    public static func hasDisguisingCharacters(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        return scalars.indices.contains { isDisguising(scalars, at: $0) }
    }

    /// Controls, format characters (zero-width spaces and joiners, bidi overrides and isolates,
    /// which can make "co\u{200B}ach" look like "coach" or reverse what follows) and line or
    /// paragraph separators. A zero-width joiner between two emoji (👨‍👩‍👧) is kept: it is how
    /// those emoji are written.
    static func isDisguising(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        let scalar = scalars[index]
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator:
            return true
        case .format:
            guard scalar == "\u{200D}", index > 0, index + 1 < scalars.count else { return true }
            return !(isPictographic(scalars[index - 1]) && isPictographic(scalars[index + 1]))
        default:
            return false
        }
    }

    private static func isPictographic(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\u{FE0F}" || (scalar.value > 0x7F && scalar.properties.isEmoji)
    }
}
