// Mentions in a message's text: `@name` (a user name) and `@here` (the room's online participants).

public enum Mentions {
    /// The most distinct `@name`s one message may mention by name; further ones are plain text
    /// (each costs a user lookup, and a message naming the whole gym is no conversation).
    public static let maxNamed = 20

    /// What a text mentions: user names as typed (in order, each once, at most `maxNamed`), and
    /// whether it says `@here`. A name starts after an `@` at the start of the text or after a
    /// character that is not part of a word in any script (so `ann@example.com` and `josé@ann`
    /// mention nobody) and runs while the characters can be part of a user name.
    public static func parse(_ text: String) -> (names: [String], here: Bool) {
        var names: [String] = []
        var seen: Set<String> = []
        var here = false
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            defer { index += 1 }
            guard scalars[index] == "@", index == 0 || !continuesAWord(scalars[index - 1]) else { continue }
            var end = index + 1
            while end < scalars.count, isNameScalar(scalars[end]), end - index <= 64 { end += 1 }
            guard end > index + 1 else { continue }
            let token = String(String.UnicodeScalarView(scalars[(index + 1)..<end]))
            index = end - 1
            if token.lowercased() == "here" {
                here = true
            } else if names.count < maxNamed, seen.insert(token.lowercased()).inserted {
                names.append(token)
            }
        }
        return (names, here)
    }

    /// The spellings to look a typed name up by: as typed, then without trailing `.`, `_` or `-`
    /// (`@ann.` at the end of a sentence means `ann`, unless a user is called `ann.`).
    public static func candidates(_ token: String) -> [String] {
        var trimmed = Substring(token)
        while let last = trimmed.last, last == "." || last == "_" || last == "-" { trimmed = trimmed.dropLast() }
        return trimmed.isEmpty || trimmed.count == token.count ? [token] : [token, String(trimmed)]
    }

    /// What user names are made of (ASCII letters, digits, `.`, `_`, `-`).
    static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (Character(s).isLetter || Character(s).isNumber || s == "." || s == "_" || s == "-")
    }

    /// A character an `@` after which starts no mention: part of a word in any script
    /// (`josé@ann`, `Ωμέγα@ann`, `ann@example.com`) or of a name.
    static func continuesAWord(_ s: Unicode.Scalar) -> Bool {
        isNameScalar(s) || s.properties.isAlphabetic || s.properties.numericType != nil
            || s.properties.generalCategory == .nonspacingMark
    }
}
