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
    /// Reasons of a ban or a report: 500 characters, 1,000 scalars, 2 KiB.
    public static let reason = TextLimit(maxCharacters: 500, maxScalars: 1000, maxBytes: 2 * 1024)
    /// Display names: 64 characters, 128 scalars, 256 bytes.
    public static let displayName = TextLimit(maxCharacters: 64, maxScalars: 128, maxBytes: 256)

    /// Whether `text` fits. The cheap counts come first, so an oversized text is refused before
    /// anything walks its grapheme clusters.
    public func allows(_ text: String) -> Bool {
        text.utf8.count <= maxBytes && text.unicodeScalars.count <= maxScalars && text.count <= maxCharacters
    }

    /// The longest prefix of whole characters that fits (for names taken from elsewhere).
    public func clip(_ text: String) -> String {
        var bytes = 0
        var scalars = 0
        var characters = 0
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
