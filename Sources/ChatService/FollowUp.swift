import ChatModel

/// The rest of a call, to resume once the effects before it are carried out. Opaque to the binding.
public struct FollowUp: Sendable {
    enum Step: Sendable {
        /// After `status`: presence (first connection) and the room list.
        case welcome(ChatConnection, cameOnline: Bool)
        /// After the socket joined the room: history, participants, the announcements.
        case roomJoined(ChatConnection, Room, Membership)
        /// After a disconnect: the typing it ended and, on the user's last connection, presence.
        case farewell(ChatConnection, stoppedTyping: [TypingTracker.Entry], wentOffline: Bool)
    }

    let step: Step
}
