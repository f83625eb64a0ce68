import ChatModel
import Testing

@Suite("search terms: one normaliser for the index and the query")
struct SearchTermsTests {
    func terms(_ text: String) -> [String] { SearchTerms.terms(in: text) }

    @Test func diacriticsAndCaseFoldAway() {
        #expect(terms("Übung") == ["ubung"])
        #expect(terms("ÜBUNG übung Ubung") == ["ubung", "ubung", "ubung"])
        #expect(terms("Crème brûlée, naïve façade") == ["creme", "brulee", "naive", "facade"])
        // Already decomposed (U + combining diaeresis) folds the same as precomposed.
        #expect(terms("U\u{308}bung") == ["ubung"])
        #expect(terms("İstanbul ŞİŞLİ") == ["istanbul", "sisli"])
    }

    @Test func greekAndCyrillicFoldCase() {
        #expect(terms("ΣΟΦΊΑ Σοφία σοφια") == ["σοφια", "σοφια", "σοφια"])
        // Final sigma folds to sigma: a word typed in capitals finds its lower-case spelling.
        #expect(terms("ΟΔΟΣ οδος") == terms("οδοσ ΟΔΟΣ"))
        #expect(terms("Ёлки ЁЛКИ елки") == ["елки", "елки", "елки"])
        #expect(terms("Привет, МИР!") == ["привет", "мир"])
    }

    @Test func compatibilityFormsAndSharpS() {
        #expect(terms("ﬁt ＦＩＴ ｆｉｔ") == ["fit", "fit", "fit"])
        #expect(terms("Straße STRASSE") == ["strasse", "strasse"])
        #expect(terms("x² ½") == ["x2", "1", "2"])
    }

    @Test func wordsAreRunsOfLettersOrDigits() {
        #expect(terms("5x5 squats @ 100kg, 3×10") == ["5x5", "squats", "100kg", "3", "10"])
        #expect(
            terms("don't over-train!!! e-mail: a.b@gym.example") == [
                "don", "t", "over", "train", "e", "mail", "a", "b", "gym", "example",
            ])
        #expect(terms("leg day💪🏋️‍♀️rest") == ["leg", "day", "rest"])
        #expect(terms("💪 🏋️ — …") == [])
        #expect(terms("") == [])
        #expect(terms("日本語のテキスト 123") == ["日本語のテキスト", "123"])
    }

    @Test func aTermIsCutToSixtyFourCharacters() {
        let long = String(repeating: "a", count: 100)
        #expect(terms(long + " b") == [String(repeating: "a", count: 64), "b"])
        let accented = String(repeating: "é", count: 70)
        #expect(terms(accented) == [String(repeating: "e", count: 64)])
        let greek = String(repeating: "Ω", count: 65)
        #expect(terms(greek).first?.unicodeScalars.count == 64)
    }

    @Test func asciiAndUnicodePathsAgree() {
        // One accented word sends the whole text down the Unicode path: the ASCII words read the same.
        let plain = "Leg DAY: 5x5 @100KG, rest-pause!"
        #expect(terms(plain + " é") == terms(plain) + ["e"])
    }

    @Test func aQueryIsItsTermsTheLastAPrefix() throws {
        let query = try SearchQuery.parse("  Leg day ÜBU  ").get()
        #expect(query == SearchQuery(exact: ["leg", "day"], prefix: "ubu"))
        #expect(query.matches(["leg", "day", "ubung", "x"]))
        #expect(!query.matches(["leg", "days", "ubung"]))
        #expect(!query.matches(["leg", "day", "uebung"]))
        #expect(try SearchQuery.parse("squat squat").get() == SearchQuery(exact: ["squat"], prefix: "squat"))
        #expect(try SearchQuery.parse("leg leg day").get().exact == ["leg"])
    }

    @Test func aQueryNeedsOneToEightWordsInAtMostTwoHundredCharacters() {
        #expect(SearchQuery.parse("   ") == .failure(.length))
        #expect(SearchQuery.parse(String(repeating: "a", count: 201)) == .failure(.length))
        #expect((try? SearchQuery.parse(String(repeating: "a", count: 200)).get()) != nil)
        #expect(SearchQuery.parse("💪 !!! …") == .failure(.noTerms))
        #expect(SearchQuery.parse("a b c d e f g h i") == .failure(.tooManyTerms))
        #expect((try? SearchQuery.parse("a b c d e f g h").get()) != nil)
    }

    @Test func joinsLeavesAndTombstonesAreNotSearchable() {
        var message = Message(id: 1, roomID: 1, userID: 1, text: "hi", type: .text, createdAt: 0)
        #expect(message.isSearchable)
        message.type = .system
        #expect(message.isSearchable)
        message.deleted = true
        #expect(!message.isSearchable)
        for type in [MessageType.join, .leave] {
            #expect(
                !Message(id: 1, roomID: 1, userID: 1, text: "joined the room", type: type, createdAt: 0).isSearchable)
        }
    }
}
