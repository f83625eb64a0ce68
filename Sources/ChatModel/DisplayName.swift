/// The rules for display names: trimmed, within `TextLimit.displayName` (empty after trimming
/// means "use the user name"), and free of characters that hide or disguise a name.
public enum DisplayName {
    public static func validate(_ raw: String) -> Result<String, ChatError> {
        let text = raw.trimmingWhitespace()
        guard TextLimit.displayName.allows(text) else {
            return .failure(ChatError(.invalidRequest, "display names are \(TextLimit.displayName.description)"))
        }
        guard !hasDisguisingCharacters(text) else {
            return .failure(
                ChatError(.invalidRequest, "display names may not hold control, invisible or text-direction characters")
            )
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
