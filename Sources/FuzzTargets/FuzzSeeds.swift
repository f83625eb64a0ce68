import Accounts
import ChatModel
import ChatStore
import Foundation
import LMDB

/// Seeds that are binary or signed, made by the real encoders rather than typed by hand:
/// `fitchat-fuzz seeds DIR` writes them under DIR/<target>/. The text seeds are plain files.
public enum FuzzSeeds {
    /// (target, file name, bytes).
    public static func all() -> [(target: FuzzTarget, name: String, bytes: [UInt8])] {
        records().map { (.records, $0.name, $0.bytes) } + tokens().map { (.hostAppToken, $0.name, $0.bytes) }
    }

    static func records() -> [(name: String, bytes: [UInt8])] {
        func seed(_ codec: String, _ variant: String, _ value: some LMDBCodable) -> (String, [UInt8]) {
            ("\(codec)-\(variant)", [RecordTargets.index(of: codec)] + value.encoded)
        }
        let hash = Array(repeating: UInt8(0xAB), count: 32)
        var edited = Message(
            id: 42, roomID: 7, userID: 3, text: "Leg day at 6 💪 @ana", type: .text, createdAt: 1_700_000_000_000_000,
            isEdited: true, editedAt: 1_700_000_000_500_000, mentions: [4, 9], revision: 44)
        edited.deleted = false
        return [
            seed(
                "room", "public",
                Room(id: 7, name: "general", description: "Everyone", createdAt: 1_700_000_000_000_000)),
            seed(
                "room", "direct",
                Room(id: 8, name: "dm-3-4", description: "", createdAt: -5, isPrivate: true, direct: DirectPair(3, 4))),
            seed(
                "user", "admin",
                User(
                    id: 1, name: "coach", displayName: "Coach Kim", role: .admin,
                    passwordHash: "$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA",
                    createdAt: 1_700_000_000_000_000)),
            seed("user", "hostapp", User(id: 2, name: "ana", displayName: "Ana ✨", createdAt: 0, hostApp: true)),
            seed("message", "edited", edited),
            seed(
                "message", "deleted",
                Message(id: 43, roomID: 7, userID: 3, text: "", type: .text, createdAt: 1, deleted: true)),
            seed(
                "participant", "read",
                Participant(roomID: 7, userID: 3, joinedAt: 10, lastActive: 20, lastRead: 42, lastReadCount: 5)),
            seed("session", "one", SessionValue(userID: 3, expiresAt: 1_800_000_000_000_000)),
            seed(
                "invite", "limited",
                Invite(
                    id: 5, codeHash: hash, role: .member, usesAllowed: 10, uses: 2, expiresAt: 1_800_000_000_000_000,
                    createdBy: "coach", createdAt: 1_700_000_000_000_000)),
            seed("invite", "open", Invite(id: 6, codeHash: [], createdBy: "", createdAt: 0, revoked: true)),
            seed(
                "signin-link", "used",
                SignInLink(id: 9, codeHash: hash, userID: 3, createdAt: 1, expiresAt: 2, usedAt: 1)),
            seed("preferences", "off", Preferences(shareReadReceipts: false)),
            seed(
                "reactions", "two",
                StoredReactions(list: [Reaction(emoji: "👍", users: [3, 4]), Reaction(emoji: "🔥", users: [9])])),
            seed(
                "restriction", "muted",
                RoomRestriction(
                    roomID: 7, userID: 4, mutedUntil: 1_700_000_100_000_000, reason: "spam", actor: "coach", at: 5)),
            seed(
                "report", "resolved",
                Report(
                    id: 1, roomID: 7, messageID: 42, authorID: 3, reporterID: 4, reason: "rude", createdAt: 6,
                    resolvedAt: 7, resolvedBy: "coach")),
            seed("key-room-user", "one", Key2<UInt64, UInt64>(7, 3)),
            seed("key-room-time-message", "one", Key3<UInt64, Int64, UInt64>(7, -1, 42)),
            seed("key-u64", "max", UInt64.max),
            seed("key-i64", "min", Int64.min),
            seed("key-u32", "one", UInt32(1)),
            seed("key-name", "unicode", "zoë"),
        ]
    }

    static func tokens() -> [(name: String, bytes: [UInt8])] {
        let signer = HostAppTokenSigner(secret: HostAppTokenTarget.secret)
        let exp = Int(HostAppTokenTarget.now + 3600)
        func token(_ claims: [String: Any]) -> [UInt8] { [0] + Array(signer.sign(claims).utf8) }
        func unsigned(_ header: String, _ payload: String) -> [UInt8] { [1] + Array("\(header)\n\(payload)".utf8) }
        return [
            ("signed-valid", token(["sub": "ana", "name": "Ana", "exp": exp])),
            ("signed-expired", token(["sub": "ana", "exp": Int(HostAppTokenTarget.now - 1)])),
            ("signed-nbf", token(["sub": "ana", "exp": exp, "nbf": Int(HostAppTokenTarget.now + 10)])),
            ("unsigned-valid", unsigned(#"{"alg":"HS256","typ":"JWT"}"#, #"{"sub":"ana","name":"Ana","exp":\#(exp)}"#)),
            ("unsigned-none", unsigned(#"{"alg":"none"}"#, #"{"sub":"ana","exp":\#(exp)}"#)),
            ("unsigned-floats", unsigned(#"{"alg":"HS256"}"#, #"{"sub":"ana","exp":1e300,"nbf":-1.5}"#)),
            ("unsigned-bools", unsigned(#"{"alg":"HS256"}"#, #"{"sub":"ana","exp":true,"name":"\u0000"}"#)),
            ("unsigned-name", unsigned(#"{"alg":"HS256"}"#, #"{"sub":"a b","exp":\#(exp),"name":"  "}"#)),
        ]
    }
}
