import ChatModel
import LMDB

/// One search in one read snapshot. It walks the rarest list of postings newest first and checks
/// the other terms against each candidate:
///
/// - an exact term's posting count is `mdb_cursor_count` (no walk); the prefix term stands for
///   every index term starting with it (up to `maxExpansion` of them), their counts summed;
/// - the walked list is the rarest exact term's, or the prefix's terms merged when that is rarer;
/// - the other exact terms are checked with `MDB_GET_BOTH` on the candidate's posting; the prefix,
///   when not walked, the same way against each of its few terms, or by reading the message's words;
/// - a prefix standing for more than `maxExpansion` terms with no exact term beside it (`s`, `1`)
///   matches most messages: the newest messages are read instead.
///
/// The work is bounded: at most `maxExamined` candidates per call, of which at most `maxScanned`
/// have their message's words read (and `maxScanned` messages when reading messages), and at most
/// `maxScannedBytes` of text normalised: 2,000 long messages in another script cost most of a
/// second. A call that stops there returns fewer results and where it stopped.
struct SearchExecution {
    static let maxExamined = 10_000
    static let maxScanned = 2_000
    static let maxScannedBytes = 512 * 1024
    static let maxExpansion = 256
    /// Up to this many prefix terms, a candidate is checked against each with `MDB_GET_BOTH`;
    /// beyond, its message is read.
    static let maxProbedExpansion = 16

    let txn: Transaction
    let tables: Tables
    let query: SearchQuery
    let rooms: Set<RoomID>

    func page(before: MessageID?, limit: Int) throws -> SearchPage {
        let probe = try txn.cursor(tables.searchTerms)
        var counts: [(term: String, count: Int)] = []
        for term in query.exact {
            let count = try probe.count(term)
            if count == 0 { return SearchPage(messages: [], nextBefore: nil) }
            counts.append((term, count))
        }
        var expansion: [String] = []
        var expansionCount = 0
        var overflow = false
        try probe.keys(prefix: Array(query.prefix.utf8)) { term, count in
            guard expansion.count < Self.maxExpansion else {
                overflow = true
                return false
            }
            expansion.append(term)
            expansionCount += count
            return true
        }
        if expansion.isEmpty { return SearchPage(messages: [], nextBefore: nil) }

        let rarest = counts.min { $0.count < $1.count }
        if let rarest, overflow || rarest.count <= expansionCount {
            let others = query.exact.filter { $0 != rarest.term }
            let probedPrefix = overflow || expansion.count > Self.maxProbedExpansion ? nil : expansion
            var stream = try PostingStream(txn, tables, terms: [rarest.term], before: before)
            return try walk(&stream, limit: limit) { posting in
                for term in others where !(try probe.contains(term, posting)) { return false }
                guard let probedPrefix else { return nil }
                for term in probedPrefix where try probe.contains(term, posting) { return true }
                return false
            }
        }
        if !overflow {
            var stream = try PostingStream(txn, tables, terms: expansion, before: before)
            return try walk(&stream, limit: limit) { posting in
                for term in query.exact where !(try probe.contains(term, posting)) { return false }
                return true
            }
        }
        return try scanMessages(before: before, limit: limit)
    }

    /// Walks `stream` until `limit` + 1 matches (one more than asked: proof that more follow), its
    /// end, or `maxExamined` candidates. `check` answers for a candidate in a readable room: true
    /// or false, or nil when only the message's words can tell (the prefix term).
    private func walk(_ stream: inout PostingStream, limit: Int, _ check: (Posting) throws -> Bool?) throws
        -> SearchPage
    {
        var found: [Message] = []
        var examined = 0
        // Messages whose words were read (the prefix left undecided by the index): each costs its
        // text's normalisation, so they share the message scan's budget, not the postings' one.
        var read = 0
        var readBytes = 0
        var last: MessageID?
        while found.count <= limit {
            guard examined < Self.maxExamined, read < Self.maxScanned, readBytes < Self.maxScannedBytes else {
                return SearchPage(messages: found, nextBefore: last)
            }
            guard let posting = try stream.next() else { break }
            examined += 1
            last = posting.a
            guard rooms.contains(posting.b) else { continue }
            let verdict = try check(posting)
            if verdict == false { continue }
            guard let message = try txn.get(tables.messages, posting.a), message.isSearchable else { continue }
            if verdict == nil {
                read += 1
                readBytes += message.text.utf8.count
                guard query.matches(SearchTerms.distinctTerms(in: message.text)) else { continue }
            }
            found.append(message)
        }
        return Self.page(found, limit: limit)
    }

    /// The newest messages of the rooms, read one by one (see the type's comment).
    private func scanMessages(before: MessageID?, limit: Int) throws -> SearchPage {
        var found: [Message] = []
        var scanned = 0
        var scannedBytes = 0
        var last: MessageID?
        var stopped = false
        try txn.cursor(tables.messages).scan(to: before?.encoded, reverse: true) { id, message in
            guard scanned < Self.maxScanned, scannedBytes < Self.maxScannedBytes else {
                stopped = true
                return false
            }
            scanned += 1
            last = id
            guard rooms.contains(message.roomID), message.isSearchable else { return true }
            scannedBytes += message.text.utf8.count
            if query.matches(SearchTerms.distinctTerms(in: message.text)) { found.append(message) }
            return found.count <= limit
        }
        if stopped, found.count <= limit { return SearchPage(messages: found, nextBefore: last) }
        return Self.page(found, limit: limit)
    }

    /// `limit` + 1 found: the first `limit`, and the next page starts below the last of them.
    private static func page(_ found: [Message], limit: Int) -> SearchPage {
        guard found.count > limit else { return SearchPage(messages: found, nextBefore: nil) }
        let shown = Array(found.prefix(limit))
        return SearchPage(messages: shown, nextBefore: shown.last?.id)
    }
}

/// The postings of one or more terms merged newest first (a message under two of the terms once),
/// below `before`: each term walks its own cursor; a max-heap picks the newest.
struct PostingStream {
    private var cursors: [MultiCursor<String, Posting>] = []
    private var heads: [Posting] = []
    /// Indexes into `cursors`/`heads`, a max-heap by message id.
    private var heap: [Int] = []
    private var previous: MessageID?

    init(_ txn: Transaction, _ tables: Tables, terms: [String], before: MessageID?) throws {
        for term in terms {
            let cursor = try txn.cursor(tables.searchTerms)
            guard let head = try cursor.last(of: term, below: before.map { Posting($0, 0) }) else { continue }
            cursors.append(cursor)
            heads.append(head)
            push(heads.count - 1)
        }
    }

    mutating func next() throws -> Posting? {
        while let top = heap.first {
            let posting = heads[top]
            if let advanced = try cursors[top].previous() {
                heads[top] = advanced
                siftDown(0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
            if posting.a == previous { continue }
            previous = posting.a
            return posting
        }
        return nil
    }

    private func newer(_ i: Int, _ j: Int) -> Bool { heads[heap[i]].a > heads[heap[j]].a }

    private mutating func push(_ index: Int) {
        heap.append(index)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard newer(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var largest = parent
            if left < heap.count, newer(left, largest) { largest = left }
            if right < heap.count, newer(right, largest) { largest = right }
            guard largest != parent else { return }
            heap.swapAt(parent, largest)
            parent = largest
        }
    }
}
