/// How a Swift value is stored as LMDB key or value bytes.
/// Integer keys are big-endian so that LMDB's byte order equals numeric order.
public protocol LMDBCodable {
    func encode(into bytes: inout [UInt8])
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> Self
}

/// A codec whose encoding always has the same length: usable inside composite keys.
public protocol LMDBFixedWidth: LMDBCodable {
    static var byteCount: Int { get }
}

extension LMDBCodable {
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }
}

extension UInt64: LMDBFixedWidth {
    public static var byteCount: Int { 8 }
    public func encode(into bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: self >> UInt64(shift)))
        }
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> UInt64 {
        guard bytes.count == 8 else { throw .decoding }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }
}

extension UInt32: LMDBFixedWidth {
    public static var byteCount: Int { 4 }
    public func encode(into bytes: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: self >> UInt32(shift)))
        }
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> UInt32 {
        guard bytes.count == 4 else { throw .decoding }
        var value: UInt32 = 0
        for byte in bytes { value = value << 8 | UInt32(byte) }
        return value
    }
}

/// Signed integers flip the sign bit so negative values sort before positive ones.
extension Int64: LMDBFixedWidth {
    public static var byteCount: Int { 8 }
    public func encode(into bytes: inout [UInt8]) {
        (UInt64(bitPattern: self) ^ (1 << 63)).encode(into: &bytes)
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> Int64 {
        Int64(bitPattern: try UInt64.decode(bytes) ^ (1 << 63))
    }
}

extension String: LMDBCodable {
    public func encode(into bytes: inout [UInt8]) { bytes.append(contentsOf: utf8) }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

/// Raw bytes, stored as they are (e.g. a SHA-256 digest as a key).
public struct Bytes: LMDBCodable, Hashable, Sendable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func encode(into out: inout [UInt8]) { out.append(contentsOf: bytes) }
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(LMDBError) -> Bytes { Bytes(Array(raw)) }
}

/// The empty value of an index whose key says everything.
public struct Empty: LMDBCodable, Hashable, Sendable {
    public init() {}
    public func encode(into bytes: inout [UInt8]) {}
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> Empty { Empty() }
}

/// A composite key of two fixed-width parts, ordered by the first, then the second.
public struct Key2<A: LMDBFixedWidth & Hashable, B: LMDBFixedWidth & Hashable>: LMDBFixedWidth, Hashable {
    public var a: A
    public var b: B
    public init(_ a: A, _ b: B) {
        self.a = a
        self.b = b
    }
    public static var byteCount: Int { A.byteCount + B.byteCount }
    public func encode(into bytes: inout [UInt8]) {
        a.encode(into: &bytes)
        b.encode(into: &bytes)
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> Key2 {
        guard bytes.count == byteCount else { throw .decoding }
        return Key2(
            try A.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<A.byteCount])),
            try B.decode(UnsafeRawBufferPointer(rebasing: bytes[A.byteCount...])))
    }
}

/// A composite key of three fixed-width parts, e.g. room · created_at · message id.
public struct Key3<A: LMDBFixedWidth & Hashable, B: LMDBFixedWidth & Hashable, C: LMDBFixedWidth & Hashable>:
    LMDBFixedWidth, Hashable
{
    public var a: A
    public var b: B
    public var c: C
    public init(_ a: A, _ b: B, _ c: C) {
        self.a = a
        self.b = b
        self.c = c
    }
    public static var byteCount: Int { A.byteCount + B.byteCount + C.byteCount }
    public func encode(into bytes: inout [UInt8]) {
        a.encode(into: &bytes)
        b.encode(into: &bytes)
        c.encode(into: &bytes)
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LMDBError) -> Key3 {
        guard bytes.count == byteCount else { throw .decoding }
        let ab = A.byteCount + B.byteCount
        return Key3(
            try A.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<A.byteCount])),
            try B.decode(UnsafeRawBufferPointer(rebasing: bytes[A.byteCount..<ab])),
            try C.decode(UnsafeRawBufferPointer(rebasing: bytes[ab...])))
    }
}
