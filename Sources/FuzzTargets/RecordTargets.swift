import ChatModel
import ChatStore
import LMDB

/// The LMDB codecs: byte 0 picks a record or key type, the rest is the stored bytes. A corrupted
/// record must throw, never crash; one that decodes must encode to bytes that decode to the same
/// value (a version-1 record comes back as the current version, with the same fields).
enum RecordTargets {
    /// Each codec under test, in a fixed order (the seeds' first byte indexes it).
    static let codecs: [(name: String, roundTrip: @Sendable (UnsafeRawBufferPointer) -> Void)] = [
        ("room", roundTrip(Room.self)),
        ("user", roundTrip(User.self)),
        ("message", roundTrip(Message.self)),
        ("participant", roundTrip(Participant.self)),
        ("session", roundTrip(SessionValue.self)),
        ("invite", roundTrip(Invite.self)),
        ("signin-link", roundTrip(SignInLink.self)),
        ("preferences", roundTrip(Preferences.self)),
        ("reactions", roundTrip(StoredReactions.self)),
        ("restriction", roundTrip(RoomRestriction.self)),
        ("report", roundTrip(Report.self)),
        ("key-room-user", roundTrip(Key2<UInt64, UInt64>.self)),
        ("key-room-time-message", roundTrip(Key3<UInt64, Int64, UInt64>.self)),
        ("key-u64", roundTrip(UInt64.self)),
        ("key-i64", roundTrip(Int64.self)),
        ("key-u32", roundTrip(UInt32.self)),
        ("key-name", roundTrip(String.self)),
    ]

    static func index(of name: String) -> UInt8 {
        guard let index = codecs.firstIndex(where: { $0.name == name }) else { fatalError("no codec \(name)") }
        return UInt8(index)
    }

    static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let codec = codecs[Int(selector) % codecs.count]
        // A buffer of exactly the record's bytes: a read past its end is AddressSanitizer's to see.
        let record = Array(input.dropFirst())
        record.withUnsafeBytes { codec.roundTrip($0) }
    }

    static func roundTrip<Value: LMDBCodable & Equatable>(_: Value.Type) -> @Sendable (UnsafeRawBufferPointer) -> Void {
        { raw in
            guard let value = try? Value.decode(raw) else { return }
            let encoded = value.encoded
            let again = encoded.withUnsafeBytes { try? Value.decode($0) }
            fuzzCheck(
                again == value,
                "\(Value.self) \(value) encodes to \(encoded), which decodes to \(String(describing: again))")
        }
    }
}
