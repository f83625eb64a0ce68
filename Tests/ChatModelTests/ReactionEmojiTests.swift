import ChatModel
import Testing

@Suite("reaction emojis")
struct ReactionEmojiTests {
    @Test(arguments: [
        "👍", "🦵", "❤️", "☝🏽", "👍🏿", "🏳️‍🌈", "👨‍👩‍👧‍👦", "🧑🏽‍🚀", "🏃‍♀️", "🇩🇪", "🇺🇸", "1️⃣", "#️⃣", "*⃣",
        "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "©️", "✅", ":thumbsup:", ":+1:", ":-1:",
        ":a_b-c+1:", ":\(String(repeating: "z", count: 32)):",
    ])
    func accepted(_ emoji: String) {
        #expect(ReactionEmoji.validate(emoji) == .success(emoji))
    }

    @Test(arguments: [
        "", " ", "a", "1", "#", "©", "☝", "👍👍", "👍 ", " 👍", "a\u{FE0F}", "1\u{FE0F}", "\u{FE0F}", "\u{200D}",
        "👍\u{200D}", "\u{1F3FB}a", "🇩", ":", "::", ":Fire:", ":fire", "fire:", ":fi re:", ":é:",
        ":\(String(repeating: "z", count: 33)):", "e\u{301}", "\u{202E}", "🏴\u{E0067}",
    ])
    func refused(_ text: String) {
        #expect(ReactionEmoji.validate(text).isFailure, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test func toggledKeepsTheOrderOfFirstUseAndTheLimit() {
        var list: [Reaction] = []
        list = Reaction.toggled(list, emoji: "a", user: 1, on: true)!
        list = Reaction.toggled(list, emoji: "b", user: 2, on: true)!
        list = Reaction.toggled(list, emoji: "a", user: 2, on: true)!
        list = Reaction.toggled(list, emoji: "a", user: 2, on: true)!
        #expect(list == [Reaction(emoji: "a", users: [1, 2]), Reaction(emoji: "b", users: [2])])
        list = Reaction.toggled(list, emoji: "b", user: 2, on: false)!
        list = Reaction.toggled(list, emoji: "c", user: 2, on: false)!
        #expect(list == [Reaction(emoji: "a", users: [1, 2])])
        let full = (0..<20).map { Reaction(emoji: "\($0)", users: [1]) }
        #expect(Reaction.toggled(full, emoji: "new", user: 1, on: true) == nil)
        #expect(Reaction.toggled(full, emoji: "3", user: 2, on: true)?[3].users == [1, 2])
        #expect(Reaction.toggled(full, emoji: "new", user: 1, on: false) == full)
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { true } else { false }
    }
}
