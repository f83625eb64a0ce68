import CryptoExtras
import Foundation

/// Password hashes with scrypt at OWASP's recommended cost (N=2^17, r=8, p=1), stored as a
/// self-describing string `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64) so the cost can be raised
/// later without invalidating existing hashes.
public struct PasswordHasher: Sendable {
    public var log2N: Int
    public var blockSize: Int
    public var parallelism: Int

    public init(log2N: Int = 17, blockSize: Int = 8, parallelism: Int = 1) {
        self.log2N = log2N
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String { "stored password hash is malformed" }
    }

    public func hash(_ password: String) throws -> String {
        let salt = SecureRandom.bytes(16)
        let key = try Self.derive(password, salt: salt, log2N: log2N, r: blockSize, p: parallelism)
        return
            "$scrypt$ln=\(log2N),r=\(blockSize),p=\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `password` matches `encoded`; compares in constant time.
    public static func verify(_ password: String, against encoded: String) throws -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0] == "scrypt" else { throw Malformed() }
        var parameters: [String: Int] = [:]
        for pair in parts[1].split(separator: ",") {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let value = Int(kv[1]) else { throw Malformed() }
            parameters[String(kv[0])] = value
        }
        guard let ln = parameters["ln"], let r = parameters["r"], let p = parameters["p"], (1...22).contains(ln),
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { throw Malformed() }
        let actual = try derive(password, salt: Array(salt), log2N: ln, r: r, p: p, length: expected.count)
        return constantTimeEqual(actual, Array(expected))
    }

    static func derive(_ password: String, salt: [UInt8], log2N: Int, r: Int, p: Int, length: Int = 32) throws
        -> [UInt8]
    {
        let n = 1 << log2N
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: length, rounds: n, blockSize: r,
            parallelism: p, maxMemory: 129 * n * r * p + (1 << 20))
        return key.withUnsafeBytes { Array($0) }
    }
}
