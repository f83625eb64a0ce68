import ArgumentParser
import Configuration

struct RoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "room", abstract: "Manage chat rooms.",
        subcommands: [Add.self, List.self, Archive.self, AddMember.self, RemoveMember.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a room.")
        @Argument(help: "Room name: 1-64 lowercase letters, digits or '-'.") var name: String
        @Option(help: "What the room is for, shown in the room list.") var description: String
        @Flag(help: "Only members may join and read it (add them with add-member).") var `private` = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let room = try await store.admin(creation: .mayCreate).addRoom(name: name, description: description, isPrivate: `private`)
            print("added \(room.isPrivate ? "private " : "")room '\(room.name)' (id \(room.id))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List rooms.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let rooms = try store.admin().rooms()
            print(Table.render(
                header: ["ID", "NAME", "ACCESS", "STATE", "DESCRIPTION"],
                rows: rooms.map { ["\($0.id)", $0.name, $0.isPrivate ? "private" : "public", $0.isActive ? "active" : "archived", $0.description] }))
        }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a room: it leaves the room list; its history is kept.")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().archiveRoom(name: name)
            print("archived '\(name)'")
        }
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Make a user a participant of a room.")
        @Argument var room: String
        @Argument var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let added = try await store.admin().addMember(room: room, user: user)
            print(added ? "'\(user)' is now a member of '\(room)'" : "'\(user)' already was a member of '\(room)'")
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-member", abstract: "End a user's membership of a room.")
        @Argument var room: String
        @Argument var user: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let removed = try await store.admin().removeMember(room: room, user: user)
            print(removed ? "'\(user)' is no longer a member of '\(room)'" : "'\(user)' was not a member of '\(room)'")
        }
    }
}
