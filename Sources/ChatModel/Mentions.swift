// Mentions in a message's text: `@name` (a user name) and `@here` (the room's online participants).

public enum Mentions {
    /// The most distinct `@name`s one message may mention by name; further ones are plain text
    /// (each costs a user lookup, and a message naming the whole gym is no conversation).
    public static let maxNamed = 20

    /// What a text mentions: user names as typed (in order, each once, at most `maxNamed`), and
    /// whether it says `@here`. A name starts after `@` at the start of the text or after a
    /// character that cannot be part of a user name (so `ann@example.com` mentions nobody) and runs
    /// while the characters can be part of one.
    public static func parse(_ text: String) -> (names: [String], here: Bool) {
        var names: [String] = []
        var seen: Set<String> = []
        var here = false
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            defer { index += 1 }
            guard bytes[index] == UInt8(ascii: "@"), index == 0 || !isNameByte(bytes[index - 1]) else { continue }
            var end = index + 1
            while end < bytes.count, isNameByte(bytes[end]), end - index <= 64 { end += 1 }
            guard end > index + 1 else { continue }
            let token = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
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

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
            || b == 0x2D
    }
}
