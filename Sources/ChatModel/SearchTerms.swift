// Foundation only for Unicode compatibility decomposition (NFKD), which the standard library
// does not expose; ASCII text never reaches it.
import Foundation

/// The words of a text as the search index keeps them, and as a query is read: the same
/// normaliser for both, so what a member types finds what was written.
///
/// NFKD (so `ﬁ` is `fi` and `²` is `2`), case folded, combining marks (diacritics) dropped — so
/// "Übung", "ÜBUNG" and "ubung" are one term — then words are the maximal runs of letters or
/// digits of any script (`5x5`, `100kg` stay whole; punctuation, spaces and emoji separate words).
/// A term is cut to `maxLength` Unicode scalars.
public enum SearchTerms {
    public static let maxLength = 64

    /// The terms of `text` in order, repeats kept.
    public static func terms(in text: String) -> [String] {
        var terms: [String] = []
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            asciiTerms(text) { terms.append($0) }
        } else {
            unicodeTerms(text) { terms.append($0) }
        }
        return terms
    }

    /// The distinct terms of `text` (what the index holds for a message).
    public static func distinctTerms(in text: String) -> Set<String> { Set(terms(in: text)) }

    /// The common case without Foundation: ASCII letters lower-cased, runs of letters and digits.
    private static func asciiTerms(_ text: String, _ emit: (String) -> Void) {
        var run: [UInt8] = []
        func flush() {
            if !run.isEmpty { emit(String(decoding: run.prefix(maxLength), as: UTF8.self)) }
            run.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): run.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): run.append(byte + 32)
            default: flush()
            }
        }
        flush()
    }

    private static func unicodeTerms(_ text: String, _ emit: (String) -> Void) {
        var run = String.UnicodeScalarView()
        var length = 0
        func flush() {
            if length > 0 { emit(String(run)) }
            run = String.UnicodeScalarView()
            length = 0
        }
        for scalar in text.decomposedStringWithCompatibilityMapping.unicodeScalars {
            if isMark(scalar) { continue }  // a diacritic: dropped, the word goes on
            guard isLetterOrDigit(scalar) else {
                flush()
                continue
            }
            for folded in caseFolded(scalar) where !isMark(folded) && length < maxLength {
                run.append(folded)
                length += 1
            }
        }
        flush()
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            true
        default: false
        }
    }

    /// Lower-casing, plus the folds where case folding differs from it (final sigma, sharp s),
    /// so `ΣΟΦΙΑ`, `σοφια` and `σοφιας`' final `ς` agree and `STRASSE` finds `straße`.
    private static func caseFolded(_ scalar: Unicode.Scalar) -> String.UnicodeScalarView {
        switch scalar {
        case "\u{3C2}": return "\u{3C3}".unicodeScalars  // ς → σ
        case "\u{DF}", "\u{1E9E}": return "ss".unicodeScalars  // ß, ẞ → ss
        default:
            guard scalar.properties.changesWhenLowercased else { return String(scalar).unicodeScalars }
            return scalar.properties.lowercaseMapping.unicodeScalars
        }
    }
}

/// A search as the index answers it: every term must occur in a message, the last one as a
/// prefix (`ubu` finds `ubung`), the others whole.
public struct SearchQuery: Sendable, Equatable, Hashable {
    /// The whole terms, distinct, in the order typed (the last term is not among them).
    public var exact: [String]
    /// The last term: a message matches when one of its terms starts with it.
    public var prefix: String

    /// Query text 1…`maxLength` characters after trimming, giving 1…`maxTerms` terms.
    public static let maxLength = 200
    public static let maxTerms = 8

    public init(exact: [String], prefix: String) {
        var distinct: [String] = []
        for term in exact where !distinct.contains(term) { distinct.append(term) }
        self.exact = distinct
        self.prefix = prefix
    }

    /// Why a text is no query, in words for the client.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case length
        case noTerms
        case tooManyTerms

        public var description: String {
            switch self {
            case .length: "'query' must be 1 to \(SearchQuery.maxLength) characters"
            case .noTerms: "'query' holds no word to search for (letters or digits)"
            case .tooManyTerms: "'query' may hold at most \(SearchQuery.maxTerms) words"
            }
        }
    }

    /// Reads what a member typed.
    public static func parse(_ text: String) -> Result<SearchQuery, Problem> {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...maxLength).contains(trimmed.count) else { return .failure(.length) }
        let terms = SearchTerms.terms(in: trimmed)
        guard let last = terms.last else { return .failure(.noTerms) }
        guard terms.count <= maxTerms else { return .failure(.tooManyTerms) }
        return .success(SearchQuery(exact: Array(terms.dropLast()), prefix: last))
    }

    /// Whether a message with these (distinct) terms matches.
    public func matches(_ terms: Set<String>) -> Bool {
        exact.allSatisfy(terms.contains) && terms.contains { Self.starts($0, with: prefix) }
    }

    /// Prefix on the UTF-8 bytes, as the index's key order sees it.
    public static func starts(_ term: String, with prefix: String) -> Bool { term.utf8.starts(with: prefix.utf8) }
}

extension MessageType {
    /// Text and system messages are searchable; joins and leaves are not.
    public var isSearchable: Bool { self == .text || self == .system }
}

extension Message {
    /// Whether the index holds this message's terms: a searchable type, not a tombstone.
    public var isSearchable: Bool { type.isSearchable && !deleted }
}
