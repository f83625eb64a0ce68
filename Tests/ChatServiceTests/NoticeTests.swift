import ChatModel
import ChatService
import ChatTestSupport
import SocketIOProtocol
import Testing

@Suite("admin notices")
struct NoticeTests {
    /// `fitchat room notice` (or the admin page) stored a `system` message: the room hears it as
    /// `new_message`, signed by its author.
    @Test func aStoredNoticeGoesToTheRoomAsANewMessage() async throws {
        let chat = try await Chat()
        let coach = try await chat.repository.createUser(
            name: "coach", displayName: "Coach", role: .admin, passwordHash: nil)
        let notice = try await chat.repository.append(
            NewMessage(roomID: chat.general.id, userID: coach.id, text: "Closed Monday", type: .system))

        let run = chat.run(chat.service.noticePosted(roomNamed: "general", messageID: notice.id))

        #expect(
            run.steps == [
                .effect(
                    .deliver(
                        Delivery(
                            .room("general", except: nil), "new_message",
                            ChatJSON.message(notice, room: chat.general, user: coach))))
            ])
        #expect(run.deliveries.first?.payload["message_type"]?.stringValue == "system")
    }

    @Test func aNoticeNamingTheWrongRoomOrNoMessageSendsNothing() async throws {
        let chat = try await Chat()
        let coach = try await chat.repository.createUser(
            name: "coach", displayName: "Coach", role: .admin, passwordHash: nil)
        let notice = try await chat.repository.append(
            NewMessage(roomID: chat.general.id, userID: coach.id, text: "Hi", type: .system))
        #expect(chat.run(chat.service.noticePosted(roomNamed: "nutrition", messageID: notice.id)).steps.isEmpty)
        #expect(chat.run(chat.service.noticePosted(roomNamed: "general", messageID: 999)).steps.isEmpty)
        #expect(chat.run(chat.service.noticePosted(roomNamed: "gym", messageID: notice.id)).steps.isEmpty)
    }
}
