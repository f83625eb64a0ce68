import Accounts
import Administration
import ChatModel
import Configuration
import FitchatDaemon
import Foundation

enum PasswordInput {
    static let minimumLength = 8

    /// The first line of standard input.
    static func readStdin() throws -> String {
        guard let line = readLine(strippingNewline: true) else { throw ConfigError("no password on standard input") }
        return try validated(line)
    }

    /// Asks twice without echo on a terminal; otherwise reads the first line of standard input.
    static func readNew() throws -> String {
        guard isatty(STDIN_FILENO) == 1 else { return try readStdin() }
        let first = try prompt("New password: ")
        let second = try prompt("Repeat it: ")
        guard first == second else { throw ConfigError("the two passwords differ") }
        return try validated(first)
    }

    private static func validated(_ password: String) throws -> String {
        guard password.count >= minimumLength else { throw ConfigError("a password needs at least \(minimumLength) characters") }
        guard password.utf8.count <= 1024 else { throw ConfigError("a password may have at most 1024 bytes") }
        return password
    }

    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw ConfigError("no password given") }
        return line
    }
}

enum Table {
    /// Left-aligned columns separated by two spaces. Cells are escaped: a display name with a
    /// newline or a right-to-left override must not forge rows or reorder what the operator reads.
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map { SafeText.escaped($0) } }
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
