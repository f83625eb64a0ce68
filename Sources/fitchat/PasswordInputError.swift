import ChatModel

/// Why no usable password was read.
enum PasswordInputError: Error, CustomStringConvertible {
    case noInput
    case mismatch
    case refused(ChatError)

    var description: String {
        switch self {
        case .noInput: "no password on standard input"
        case .mismatch: "the two passwords differ"
        case .refused(let error): error.message
        }
    }
}
