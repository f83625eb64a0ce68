import ArgumentParser
import Configuration

struct RoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "room", abstract: "Manage chat rooms.",
        subcommands: [
            Add.self, List.self, Archive.self, Unarchive.self, SetFields.self, Notice.self, Members.self,
            AddMember.self,
            RemoveMember.self,
        ])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a room.")
        @Argument(help: "Room name: 1-64 lowercase letters, digits or '-'.") var name: String
        @Option(help: "What the room is for, shown in the room list.") var description: String
        @Flag(help: "Only members may join and read it (add them with add-member).") var `private` = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let room = try await store.admin(creation: .mayCreate).changing().addRoom(
                name: name, description: description, isPrivate: `private`)
            print("added \(room.isPrivate ? "private " : "")room '\(room.name)' (id \(room.id))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rooms.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let rooms = try store.admin().operations.rooms()
            print(
                Table.render(
                    header: ["ID", "NAME", "ACCESS", "STATE", "DESCRIPTION"],
                    rows: rooms.map {
                        [
                            "\($0.id)", $0.name, $0.kind.rawValue,
                            $0.isActive ? "active" : "archived", $0.description,
                        ]
                    }))
        }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive a room: it leaves the room list; its history is kept.")
        @Argument(help: "The room's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().archiveRoom(name: name)
            print("archived '\(name)'")
        }
    }

    struct Unarchive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring an archived room back into the room list, with its history.")
        @Argument(help: "The room's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().unarchiveRoom(name: name)
            print("unarchived '\(name)'")
        }
    }

    struct SetFields: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change a room's description; connected clients see it at once.")
        @Argument(help: "The room's name.") var name: String
        @Option(help: "What the room is for, shown in the room list (at most 200 characters).") var description: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().setRoomDescription(name: name, description: description)
            print("description of '\(name)' changed")
        }
    }

    struct Notice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Post a notice (a system message) to a room; connected clients get it at once.",
            discussion:
                "It is stored like a message and signed by the first active admin, or by --from (an active admin).")
        @Argument(help: "The room's name.") var name: String
        @Argument(help: "The notice's text (1-2000 characters).") var text: String
        @Option(help: "The active admin who signs the notice (default: the first active admin).") var from: String?
        @OptionGroup var store: StoreOptions

        func run() async throws { try await Self.post(store: store, room: name, text: text, from: from) }

        /// What `room notice` and its top-level alias `notice` do.
        static func post(store: StoreOptions, room: String, text: String, from: String?) async throws {
            let message = try await store.admin().changing().postNotice(room: room, text: text, author: from)
            print("notice posted to '\(room)' (message \(message.id))")
        }
    }

    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the participants of a room.")
        @Argument(help: "The room's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let users = try store.admin().operations.members(room: name)
            print(
                Table.render(
                    header: ["ID", "NAME", "DISPLAY NAME", "ROLE"],
                    rows: users.map { ["\($0.id)", $0.name, $0.displayName, $0.role.name] }))
        }
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-member", abstract: "Make a user a participant of a room.")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The user's name.") var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let added = try await store.admin().changing().addMember(room: room, user: user)
            print(added ? "'\(user)' is now a member of '\(room)'" : "'\(user)' already was a member of '\(room)'")
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-member", abstract: "End a user's membership of a room.")
        @Argument(help: "The room's name.") var room: String
        @Argument(help: "The user's name.") var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let removed = try await store.admin().changing().removeMember(room: room, user: user)
            print(removed ? "'\(user)' is no longer a member of '\(room)'" : "'\(user)' was not a member of '\(room)'")
        }
    }
}

/// `fitchat notice ROOM TEXT`: the same as `fitchat room notice` (issue 14 names it so).
struct NoticeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notice", abstract: "Post a notice to a room (the same as 'fitchat room notice').",
        discussion:
            "It is stored like a message and signed by the first active admin, or by --from (an active admin).")
    @Argument(help: "The room's name.") var name: String
    @Argument(help: "The notice's text (1-2000 characters).") var text: String
    @Option(help: "The active admin who signs the notice (default: the first active admin).") var from: String?
    @OptionGroup var store: StoreOptions

    func run() async throws { try await RoomCommand.Notice.post(store: store, room: name, text: text, from: from) }
}
