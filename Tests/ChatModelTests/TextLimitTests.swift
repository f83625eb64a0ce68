import ChatModel
import Testing

@Suite struct TextLimitTests {
    @Test func oneCharacterOfHalfAMegabyteIsTooLong() {
        let text = "a" + String(repeating: "\u{301}", count: 450_000)
        #expect(text.count == 1)
        #expect(
            MessageText.validate(text)
                == .failure(ChatError(.messageTooLong, "messages are at most 2000 characters (8 KiB of UTF-8)")))
    }

    @Test func messagesAreBoundedInCharactersScalarsAndBytes() {
        #expect((try? MessageText.validate(String(repeating: "x", count: 2000)).get()) != nil)
        #expect(refused(String(repeating: "x", count: 2001)))
        // 2,000 three-byte characters (6,000 bytes) are fine; 2,000 flags (16,000 bytes) are not.
        #expect((try? MessageText.validate(String(repeating: "語", count: 2000)).get()) != nil)
        #expect(refused(String(repeating: "🇩🇪", count: 2000)))
        // Few bytes but many scalars per character.
        let stacked = String(repeating: "e" + String(repeating: "\u{301}", count: 3), count: 1100)
        #expect(stacked.count == 1100 && stacked.utf8.count < 8192)
        #expect(refused(stacked))
    }

    /// Defect (issue 16 attack): a reason's 500 were counted in characters only, so one `a` with
    /// 100,000 combining marks (200 KB) was a stored report reason, sent whole to the moderators
    /// (and a ban's to the whole room), five at once per member.
    @Test func reasonsAreBoundedInCharactersScalarsAndBytes() {
        #expect(ModerationRules.reason(String(repeating: "r", count: 500)) != nil)
        #expect(ModerationRules.reason(String(repeating: "r", count: 501)) == nil)
        #expect(ModerationRules.reason(String(repeating: "語", count: 500)) != nil)
        #expect(ModerationRules.reason("a" + String(repeating: "\u{301}", count: 100_000)) == nil)
        #expect(ModerationRules.reason(String(repeating: "e\u{301}\u{301}\u{301}", count: 300)) == nil)
        #expect(ModerationRules.reason("  spam  ") == "spam")
    }

    private func refused(_ text: String) -> Bool {
        if case .failure(let error) = MessageText.validate(text) { return error.code == .messageTooLong }
        return false
    }

    @Test func displayNamesAreBoundedInCharactersScalarsAndBytes() {
        #expect(DisplayName.validate("  Maria K  ") == .success("Maria K"))
        #expect(DisplayName.validate("") == .success(""))
        #expect((try? DisplayName.validate(String(repeating: "x", count: 65)).get()) == nil)
        #expect((try? DisplayName.validate("a" + String(repeating: "\u{301}", count: 300_000)).get()) == nil)
        // 40 characters, 320 bytes
        #expect((try? DisplayName.validate(String(repeating: "🇩🇪", count: 40)).get()) == nil)
    }

    @Test func clippingKeepsWholeCharactersWithinTheLimit() {
        let clipped = DisplayName.clipped("a" + String(repeating: "\u{301}", count: 300_000))
        #expect(clipped.isEmpty)  // the one character does not fit at all
        #expect(DisplayName.clipped(String(repeating: "ab", count: 100)) == String(repeating: "ab", count: 32))
        let flags = DisplayName.clipped(String(repeating: "🇩🇪", count: 64))
        #expect(flags.utf8.count <= 256 && flags.count == 32)
        #expect(DisplayName.clipped("  Ann  ") == "Ann")
    }
}

@Suite struct DisguisedDisplayNameTests {
    @Test func invisibleControlAndDirectionCharactersAreRefused() {
        for name in [
            "co\u{200B}ach", "\u{202E}hcaoc", "a\u{0}b", "\u{7}bell\u{1B}[31m", "x\n\nline", "co\u{200D}ach",
            "a\u{2028}b", "\u{2066}x\u{2069}",
        ] {
            #expect(
                (try? DisplayName.validate(name).get()) == nil,
                "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func lettersOfEveryScriptAndEmojiSequencesPass() {
        for name in [
            "Ann Lifter", "Zoë", "Łukasz", "Мария", "李雷", "محمد", "Coach 🏋️", "Family 👨\u{200D}👩\u{200D}👧",
            "❤️\u{200D}🔥 fan",
        ] {
            #expect(DisplayName.validate(name) == .success(name), "\(name)")
        }
    }

    @Test func aHostAppsNameIsCleanedRatherThanRefused() {
        #expect(DisplayName.clipped("co\u{200B}ach") == "coach")
        #expect(DisplayName.clipped("\u{202E}hcaoc") == "hcaoc")
        #expect(DisplayName.clipped("Family 👨\u{200D}👩") == "Family 👨\u{200D}👩")
    }
}
