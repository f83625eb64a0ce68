// Rules for names a person types: user names and room names.

public enum NameError: Error, Equatable, CustomStringConvertible {
    case invalidUserName(String)
    case invalidRoomName(String)

    public var description: String {
        switch self {
        case .invalidUserName(let name):
            "invalid user name '\(name)': use 1-64 letters, digits, '.', '_' or '-'"
        case .invalidRoomName(let name):
            "invalid room name '\(name)': use 1-64 lowercase letters, digits or '-'"
        }
    }
}

public enum Names {
    /// 1–64 ASCII letters, digits, `.`, `_`, `-`.
    public static func isValidUserName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x2D
        }
    }

    /// 1–64 ASCII lowercase letters, digits, `-`.
    public static func isValidRoomName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b == 0x2D }
    }

    public static func validateUserName(_ name: String) throws(NameError) {
        guard isValidUserName(name) else { throw .invalidUserName(name) }
    }

    public static func validateRoomName(_ name: String) throws(NameError) {
        guard isValidRoomName(name) else { throw .invalidRoomName(name) }
    }
}
