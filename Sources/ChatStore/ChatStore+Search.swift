import ChatModel
import LMDB

/// The search index (schema 7): `search_terms` maps each term to postings (message id · room id)
/// of the live text and system messages holding it. Appends, edits and deletes change it in their
/// own write transaction, so a search never finds a tombstone or an edited-away word.
extension ChatStore {
    public func search(_ query: SearchQuery, rooms: Set<RoomID>, before: MessageID?, limit: Int) throws -> SearchPage {
        guard limit > 0, !rooms.isEmpty else { return SearchPage(messages: [], nextBefore: nil) }
        return try read { txn in
            try SearchExecution(txn: txn, tables: tables, query: query, rooms: rooms).page(before: before, limit: limit)
        }
    }

    /// The terms the index holds for a message: none for joins, leaves and tombstones.
    static func indexedTerms(of message: Message) -> Set<String> {
        message.isSearchable ? SearchTerms.distinctTerms(in: message.text) : []
    }

    /// Adds a new message's postings.
    static func indexForSearch(_ txn: Transaction, _ tables: Tables, _ message: Message) throws {
        let posting = Posting(message.id, message.roomID)
        for term in indexedTerms(of: message) { try txn.put(tables.searchTerms, term, posting) }
    }

    /// Moves a changed message's postings from what it was to what it is (an edit: the words that
    /// went and came; a delete: all of them go).
    static func reindexForSearch(_ txn: Transaction, _ tables: Tables, from old: Message, to new: Message) throws {
        let before = indexedTerms(of: old)
        let after = indexedTerms(of: new)
        let posting = Posting(new.id, new.roomID)
        for term in before.subtracting(after) { try txn.delete(tables.searchTerms, term, posting) }
        for term in after.subtracting(before) { try txn.put(tables.searchTerms, term, posting) }
    }

    /// Indexes every message into an empty index, reading messages in chunks ahead of the puts;
    /// returns how many messages it indexed and the postings there are now.
    static func buildSearchIndex(_ txn: Transaction, _ tables: Tables) throws -> (messages: Int, postings: Int) {
        let chunk = 10_000
        var lower: [UInt8]? = nil
        var indexed = 0
        while true {
            let entries = try txn.entries(tables.messages, from: lower, limit: chunk)
            // Term by term within a chunk: neighbouring puts touch neighbouring pages.
            var postings: [String: [Posting]] = [:]
            for (_, message) in entries where message.isSearchable {
                indexed += 1
                for term in indexedTerms(of: message) {
                    postings[term, default: []].append(Posting(message.id, message.roomID))
                }
            }
            for term in postings.keys.sorted() {
                for posting in postings[term]! { try txn.put(tables.searchTerms, term, posting) }
            }
            guard let last = entries.last, entries.count == chunk else { break }
            lower = (last.0 + 1).encoded
        }
        return (indexed, try txn.count(tables.searchTerms))
    }

    /// Rebuilds the index from the messages in one write transaction (`fitchat db reindex`):
    /// whatever it held before, it then holds exactly what the messages say.
    public func reindexSearch() async throws -> (messages: Int, postings: Int) {
        try await write { txn, tables in
            try txn.clear(tables.searchTerms)
            return try Self.buildSearchIndex(txn, tables)
        }
    }

    /// `db check` of the index, both ways. Every indexed message's terms must have their postings;
    /// then, if the index holds exactly as many postings as that, it holds nothing else (the
    /// postings of each message are distinct), and only a surplus costs a walk of every posting.
    func checkSearchIndex(_ txn: Transaction, _ report: (String) -> Bool) throws {
        let probe = try txn.cursor(tables.searchTerms)
        var expected = 0
        var missing = false
        try txn.cursor(tables.messages).scan { id, message in
            let terms = Self.indexedTerms(of: message)
            expected += terms.count
            for term in terms.sorted() where !(try probe.contains(term, Posting(id, message.roomID))) {
                missing = true
                return report("message \(id) is missing from search_terms under '\(SafeText.forLog(term))'")
            }
            return true
        }
        guard !missing, try txn.count(tables.searchTerms) != expected else { return }
        var terms: (id: MessageID, terms: Set<String>)? = nil
        try probe.scan { term, posting in
            guard let message = try txn.get(tables.messages, posting.a), message.roomID == posting.b else {
                return report(
                    "search_terms posting '\(SafeText.forLog(term))' → message \(posting.a) of room \(posting.b) "
                        + "points at a missing message or another room")
            }
            if terms?.id != message.id { terms = (message.id, Self.indexedTerms(of: message)) }
            if !(terms?.terms.contains(term) ?? false) {
                return report(
                    "search_terms posting '\(SafeText.forLog(term))' → message \(posting.a): "
                        + (message.isSearchable
                            ? "the message does not hold the term" : "the message is not searchable"))
            }
            return true
        }
    }
}
