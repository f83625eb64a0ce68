/// What a reaction may be: one emoji, or a short name like `:thumbsup:`. Decided from Unicode
/// scalar properties, not a list, so new emojis work without an update.
public enum ReactionEmoji {
    /// The reaction as given, or `invalid_request` saying what a reaction is.
    public static func validate(_ raw: String) -> Result<String, ChatError> {
        guard isShortName(raw) || isEmoji(raw) else {
            return .failure(
                ChatError(.invalidRequest, "'emoji' must be one emoji or a short name like :thumbsup: (a-z 0-9 _ + -)"))
        }
        return .success(raw)
    }

    /// `:[a-z0-9_+-]{1,32}:`
    public static func isShortName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 34, bytes.first == 0x3A, bytes.last == 0x3A else { return false }
        return bytes.dropFirst().dropLast().allSatisfy { byte in
            (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F || byte == 0x2B
                || byte == 0x2D
        }
    }

    /// Exactly one extended grapheme cluster that is an emoji: a flag (two regional indicators), a
    /// keycap (`1️⃣`), or components joined by ZWJ, each an emoji-presentation scalar or an emoji
    /// followed by U+FE0F, optionally with a skin tone, and (for subdivision flags) tag characters.
    public static func isEmoji(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard text.count == 1, !scalars.isEmpty, scalars.count <= 16 else { return false }
        if scalars.count == 2, scalars.allSatisfy({ (0x1F1E6...0x1F1FF).contains($0.value) }) { return true }
        if isKeycap(scalars) { return true }
        return scalars.split(separator: "\u{200D}", omittingEmptySubsequences: false).allSatisfy(isComponent)
    }

    private static func isKeycap(_ scalars: [Unicode.Scalar]) -> Bool {
        guard let base = scalars.first, "0123456789#*".unicodeScalars.contains(base), scalars.last == "\u{20E3}"
        else { return false }
        return scalars.count == 2 || (scalars.count == 3 && scalars[1] == "\u{FE0F}")
    }

    private static func isComponent(_ component: ArraySlice<Unicode.Scalar>) -> Bool {
        // A lone regional indicator is half a flag.
        guard let base = component.first, base.value >= 0x80, base.properties.isEmoji,
            !(0x1F1E6...0x1F1FF).contains(base.value)
        else { return false }
        var rest = component.dropFirst()
        var shown = base.properties.isEmojiPresentation
        if rest.first == "\u{FE0F}" {
            shown = true
            rest = rest.dropFirst()
        }
        if let modifier = rest.first, modifier.properties.isEmojiModifier {
            guard base.properties.isEmojiModifierBase else { return false }
            shown = true
            rest = rest.dropFirst()
        }
        // Subdivision flags: a black flag, tag characters, then the cancel tag.
        if base == "\u{1F3F4}", let last = rest.last, last == "\u{E007F}", rest.count >= 2 {
            guard rest.dropLast().allSatisfy({ (0xE0020...0xE007E).contains($0.value) }) else { return false }
            rest = []
        }
        return shown && rest.isEmpty
    }
}
