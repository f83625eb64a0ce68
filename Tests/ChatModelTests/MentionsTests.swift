import ChatModel
import Testing

@Suite("@name and @here in a message's text")
struct MentionsTests {
    @Test func namesAreFoundOnceEachInOrder() {
        let found = Mentions.parse("@ann and @Bob, then @ann again; (@carl) \"@dee\"")
        #expect(found.names == ["ann", "Bob", "carl", "dee"] && !found.here)
    }

    @Test func anAddressIsNoMention() {
        #expect(Mentions.parse("mail ann@example.com or x@y").names.isEmpty)
        #expect(Mentions.parse("@ alone, @@ann").names == ["ann"])
    }

    @Test func hereIsItsOwnMentionInAnyCase() {
        let found = Mentions.parse("@HERE leg day @here")
        #expect(found.here && found.names.isEmpty)
    }

    @Test func atMostTwentyNames() {
        let text = (1...30).map { "@u\($0)" }.joined(separator: " ")
        #expect(Mentions.parse(text).names == (1...20).map { "u\($0)" })
    }

    @Test func trailingPunctuationIsTriedWithoutAsWell() {
        #expect(Mentions.candidates("ann.") == ["ann.", "ann"])
        #expect(Mentions.candidates("ann") == ["ann"])
        #expect(Mentions.candidates("...") == ["..."])
    }

    @Test func nonASCIIEndsAName() {
        #expect(Mentions.parse("@anné @bob🏋️").names == ["ann", "bob"])
    }
}

@Suite("an @ inside a word of any script")
struct MentionsInsideWordsTests {
    @Test func aLetterOfAnyScriptBeforeTheAtMeansNoMention() {
        for text in ["josé@ann", "Zoë@ann", "Ωμέγα@ann", "x@ann", "7@ann", "e\u{301}@ann"] {
            #expect(Mentions.parse(text).names.isEmpty, "\(text)")
        }
        for text in ["hi,@ann", "«@ann»", "💪@ann", "\n@ann"] {
            #expect(Mentions.parse(text).names == ["ann"], "\(text)")
        }
    }
}
