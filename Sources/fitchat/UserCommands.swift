import ArgumentParser
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage accounts.",
        subcommands: [Add.self, List.self, Passwd.self, Disable.self, LinkHost.self, UnlinkHost.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")
        @Argument(help: "User name: 1-64 letters, digits, '.', '_' or '-'.") var name: String
        @Flag(help: "Make the user an administrator.") var admin = false
        @Option(help: "Name shown in the chat (default: the user name).") var displayName: String?
        @Flag(help: "Read the password from standard input (first line).") var passwordStdin = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let password = passwordStdin ? try PasswordInput.readStdin() : nil
            let user = try await store.admin(creation: .mayCreate)
                .addUser(name: name, displayName: displayName, admin: admin, password: password)
            print("added \(user.role.name) '\(user.name)' (id \(user.id))" + (password == nil ? ", no password: sign in with a token" : ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let users = try store.admin().users()
            print(Table.render(
                header: ["ID", "NAME", "DISPLAY NAME", "ROLE", "PASSWORD", "HOST APP", "STATE"],
                rows: users.map {
                    ["\($0.id)", $0.name, $0.displayName, $0.role.name, $0.passwordHash == nil ? "no" : "yes", $0.hostApp ? "yes" : "no",
                     $0.disabled ? "disabled" : "active"]
                }))
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password (read from standard input, or asked twice on a terminal); ends their sessions.")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let password = try PasswordInput.readNew()
            try await store.admin().setPassword(name: name, password: password)
            print("password of '\(name)' changed; their sessions were ended")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it can no longer sign in, and its connections are closed.")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().disableUser(name: name)
            print("disabled '\(name)'")
        }
    }

    struct LinkHost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-host",
            abstract: "Let host-app tokens sign in this account (users the host app created are linked already).")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().linkHostApp(name: name, linked: true)
            print("host-app tokens for '\(name)' now sign in this account")
        }
    }

    struct UnlinkHost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlink-host", abstract: "Stop host-app tokens from signing in this account; its connections are re-checked.")
        @Argument var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().linkHostApp(name: name, linked: false)
            print("host-app tokens no longer sign in '\(name)'")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Session tokens for scripts, bots and tests.", subcommands: [Issue.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a session token that the chat's CONNECT accepts as {\"token\": …} (last line of output).")
        @Argument var user: String
        @Flag(help: "Create the user first if it does not exist.") var create = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let token = try await store.admin(creation: create ? .mayCreate : .mustExist).issueToken(userName: user, create: create)
            print(token)
        }
    }
}
