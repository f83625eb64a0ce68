import Administration
import ArgumentParser
import ChatModel

struct InviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite", abstract: "Invite links: a person opens one and makes their own account.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an invite and print its link (last line): /join/CODE.",
            discussion: "The code is shown only now: only its SHA-256 is stored. List and revoke invites by id.")
        @Option(help: "How many accounts it may make (default: unlimited).") var uses: Int?
        @Option(help: "How long it works: 7d, 12h, 30m or never.") var expires: String = "7d"
        @Option(help: "Role of the accounts it makes: member, moderator or admin.") var role: RoleArgument = .member
        @OptionGroup var link: LinkOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let lifetime = try Lifetime.parse(expires)
            let admin = try store.admin(creation: .mayCreate)
            // Every flag is checked before anything changes.
            let settings = try link.settings(admin.settings)
            let (invite, code) = try await admin.changing().createInvite(
                uses: uses, expiresIn: lifetime, role: role.role, createdBy: AdminOperations.cliCreator)
            print(
                "invite \(invite.id): \(InviteCommand.uses(invite)) as \(invite.role.name), "
                    + (invite.expiresAt.map { "until \(ISO8601.format(micros: $0))" } ?? "never expires"))
            LinkOptions.printLink(path: "/join/" + code, settings: settings)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List invites (the codes are not stored, so not shown).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let admin = try store.admin()
            let now = admin.store.currentTime
            print(
                Table.render(
                    header: ["ID", "ROLE", "USES", "EXPIRES", "STATE", "CREATED BY", "CREATED"],
                    rows: try admin.operations.invites().map {
                        [
                            "\($0.id)", $0.role.name, "\($0.uses)/" + ($0.usesAllowed.map(String.init) ?? "unlimited"),
                            $0.expiresAt.map { ISO8601.format(micros: $0) } ?? "never", $0.state(at: now).rawValue,
                            $0.createdBy,
                            ISO8601.format(micros: $0.createdAt),
                        ]
                    }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw an invite: its link no longer makes accounts.")
        @Argument(help: "The invite's id (see 'fitchat invite list').") var id: UInt64
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await store.admin().changing().revokeInvite(id: id)
            print("revoked invite \(id)")
        }
    }

    static func uses(_ invite: Invite) -> String {
        invite.usesAllowed.map { "\($0) use\($0 == 1 ? "" : "s")" } ?? "unlimited uses"
    }
}
