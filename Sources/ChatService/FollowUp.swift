import ChatModel

/// The rest of a call, to resume once the effects before it are carried out. Opaque to the binding.
public struct FollowUp: Sendable {
    enum Step: Sendable {
        /// After `status`: presence (first connection) and the room list.
        case welcome(ChatConnection, cameOnline: Bool)
        /// After the socket joined the room: history, participants, the announcements.
        case roomJoined(ChatConnection, Room, Membership, since: MessageID?)
        /// After the socket entered the rooms of a `resume`: each room's answer, or why it has none.
        case roomsResumed(ChatConnection, [ResumedRoom])
        /// After a disconnect: the typing it ended and, on the user's last connection, presence.
        case farewell(ChatConnection, stoppedTyping: [TypingTracker.Entry], wentOffline: Bool)
    }

    let step: Step
}

/// One room of a `resume` after its join was stored.
struct ResumedRoom: Sendable {
    var name: String
    var outcome: Result<(Room, Membership, since: MessageID), ChatError>
}
