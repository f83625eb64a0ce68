import ChatModel
import Foundation

enum PasswordInput {
    /// Whether standard input is a terminal (a person who can be asked).
    static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The first line of standard input.
    static func readStdin() throws -> String {
        guard let line = readLine(strippingNewline: true) else { throw PasswordInputError.noInput }
        return try validated(line)
    }

    /// Asks twice without echo on a terminal; otherwise reads the first line of standard input.
    static func readNew() throws -> String {
        guard isatty(STDIN_FILENO) == 1 else { return try readStdin() }
        let first = try prompt("New password: ")
        let second = try prompt("Repeat it: ")
        guard first == second else { throw PasswordInputError.mismatch }
        return try validated(first)
    }

    private static func validated(_ password: String) throws -> String {
        try PasswordRules.validate(password).mapError(PasswordInputError.refused).get()
    }

    private static func prompt(_ text: String) throws -> String {
        // Echo goes off before the prompt appears: an answer typed (or sent) as soon as the
        // prompt shows must not be echoed.
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        FileHandle.standardError.write(Data(text.utf8))
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw PasswordInputError.noInput }
        return line
    }
}
