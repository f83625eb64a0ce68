import Administration
import ArgumentParser
import ChatModel
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage accounts.",
        subcommands: [
            Add.self, List.self, Passwd.self, Disable.self, Enable.self, SetFields.self, Link.self, LinkHost.self,
            UnlinkHost.self,
        ])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account.",
            discussion: """
                On a terminal it asks for the password twice (without echo). With --password-stdin it reads the first \
                line of standard input. With neither and no terminal it creates the account without a password and \
                prints a one-time sign-in link for it as the last line (the person sets a password there).
                """)
        @Argument(help: "User name: 1-64 letters, digits, '.', '_' or '-'.") var name: String
        @Flag(help: "Make the user an administrator (the same as --role admin).") var admin = false
        @Option(help: "Role: member, moderator or admin (default member).") var role: RoleArgument?
        @Option(help: "Name shown in the chat (default: the user name).") var displayName: String?
        @Flag(help: "Read the password from standard input (first line).") var passwordStdin = false
        @OptionGroup var link: LinkOptions
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if admin, let role, role != .admin { throw ValidationError("--admin and --role \(role.rawValue) disagree") }
        }

        func chosenRole() -> UserRole { admin ? .admin : role?.role ?? .member }

        func run() async throws {
            let password: String? =
                if passwordStdin { try PasswordInput.readStdin() } else if PasswordInput.isTerminal {
                    try PasswordInput.readNew()
                } else { nil }
            let admin = try store.admin(creation: .mayCreate)
            // Every flag is checked before anything changes.
            let settings = try link.settings(admin.settings)
            let operations = try admin.changing()
            let user = try await operations.addUser(
                name: name, displayName: displayName, role: chosenRole(), password: password)
            guard password == nil else {
                print("added \(user.role.name) '\(user.name)' (id \(user.id))")
                return
            }
            // An account nobody can sign in to helps nobody: hand over a way in.
            let (signIn, code) = try await operations.signInLink(forUser: user.name)
            print(
                "added \(user.role.name) '\(user.name)' (id \(user.id)) without a password; "
                    + "this one-time link lets them set one until \(ISO8601.format(micros: signIn.expiresAt)):")
            LinkOptions.printLink(path: "/welcome/" + code, settings: settings)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @Option(help: "Only users whose name or display name contains this text (case-insensitive).") var search:
            String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let users = try store.admin().operations.users(matching: search)
            print(
                Table.render(
                    header: ["ID", "NAME", "DISPLAY NAME", "ROLE", "PASSWORD", "HOST APP", "STATE"],
                    rows: users.map {
                        [
                            "\($0.id)", $0.name, $0.displayName, $0.role.name, $0.passwordHash == nil ? "no" : "yes",
                            $0.hostApp ? "yes" : "no",
                            $0.disabled ? "disabled" : "active",
                        ]
                    }))
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Set a user's password (read from standard input, or asked twice on a terminal); ends their sessions.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let password = try PasswordInput.readNew()
            try await store.admin().changing().setPassword(name: name, password: password)
            print("password of '\(name)' changed; their sessions were ended")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: it can no longer sign in, and its connections are closed.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().disableUser(name: name)
            print("disabled '\(name)'")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again: it can sign in.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().enableUser(name: name)
            print("enabled '\(name)'")
        }
    }

    struct SetFields: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change a user's display name or role; takes effect at once.")
        @Argument(help: "The user's name.") var name: String
        @Option(help: "New name shown in the chat (empty: the user name).") var displayName: String?
        @Option(help: "New role: member, moderator or admin.") var role: RoleArgument?
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if displayName == nil, role == nil { throw ValidationError("give --display-name, --role or both") }
        }

        func run() async throws {
            let user = try await store.admin().changing().setUser(
                name: name, displayName: displayName, role: role?.role)
            print("'\(user.name)' is now \(user.role.name) '\(SafeText.escaped(user.displayName))'")
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a fresh one-time sign-in link for a user (last line): they set a new password there.",
            discussion:
                "This is how to reset a password: the link works once, and using it ends the user's other sessions.")
        @Argument(help: "The user's name.") var name: String
        @Option(help: "How long the link works: 7d, 12h, 30m (default 7d).") var expires: String = "7d"
        @OptionGroup var link: LinkOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let lifetime = try Lifetime.parse(expires) else {
                throw ValidationError("a sign-in link must expire")
            }
            let admin = try store.admin()
            let settings = try link.settings(admin.settings)
            let (signIn, code) = try await admin.changing().signInLink(forUser: name, lifetime: lifetime)
            print("one-time sign-in link for '\(name)', valid until \(ISO8601.format(micros: signIn.expiresAt)):")
            LinkOptions.printLink(path: "/welcome/" + code, settings: settings)
        }
    }

    struct LinkHost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-host",
            abstract: "Let host-app tokens sign in this account (users the host app created are linked already).")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().linkHostApp(name: name, linked: true)
            print("host-app tokens for '\(name)' now sign in this account")
        }
    }

    struct UnlinkHost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlink-host",
            abstract: "Stop host-app tokens from signing in this account; its connections are re-checked.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().linkHostApp(name: name, linked: false)
            print("host-app tokens no longer sign in '\(name)'")
        }
    }
}

/// `--role member|moderator|admin`.
enum RoleArgument: String, ExpressibleByArgument, CaseIterable {
    case member, moderator, admin

    var role: UserRole {
        switch self {
        case .member: .member
        case .moderator: .moderator
        case .admin: .admin
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Session tokens for scripts, bots and tests.", subcommands: [Issue.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a session token that the chat's CONNECT accepts as {\"token\": …} (last line of output).")
        @Argument(help: "The user the token signs in.") var user: String
        @Flag(help: "Create the user first if it does not exist.") var create = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let token = try await store.admin(creation: create ? .mayCreate : .mustExist).changing().issueToken(
                userName: user, create: create)
            print(token)
        }
    }
}
