import ChatModel
import Foundation

/// Checks a password so that an unknown name, a disabled account and an account without a
/// password cost the same scrypt work as a real one: the answer's timing does not tell which
/// names exist.
public struct LoginCheck: Sendable {
    /// A hash with the current cost that no password matches (its "hash" is not derived from
    /// any salt and password); verifying against it costs what a real verification costs.
    public static let dummyHash: String = {
        let cost = PasswordHasher()
        return "$scrypt$ln=\(cost.log2N),r=\(cost.blockSize),p=\(cost.parallelism)$"
            + Data(repeating: 0, count: 16).base64EncodedString() + "$"
            + Data(repeating: 0, count: 32).base64EncodedString()
    }()

    let verify: @Sendable (_ password: String, _ hash: String) async throws -> Bool

    public init(verify: @escaping @Sendable (_ password: String, _ hash: String) async throws -> Bool) {
        self.verify = verify
    }

    /// The user when `password` is theirs and they may sign in; nil otherwise (after the same work).
    public func check(_ user: User?, password: String) async throws -> User? {
        guard let user, !user.disabled, let hash = user.passwordHash else {
            _ = try await verify(password, Self.dummyHash)
            return nil
        }
        return try await verify(password, hash) ? user : nil
    }
}
