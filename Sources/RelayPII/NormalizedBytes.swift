#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A normalised value's UTF-8 bytes. Up to ``inlineCapacity`` bytes (nearly every value: names,
/// phone numbers, postal codes, codes, most email addresses) are held inline, so keeping one
/// allocates nothing and copying one retains nothing; a longer value is kept as a `String`.
///
/// Still personal data: it does not print its bytes (``description`` is `<redacted>`).
public struct NormalizedBytes: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Bytes held without an allocation.
    public static let inlineCapacity = 47

    /// Bytes 0..<47 the value, byte 47 its length (inline values only).
    private var inline: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    /// The value when it is longer than ``inlineCapacity``.
    private var spilled: String?

    /// A copy of `bytes`, which must be valid UTF-8.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= Self.inlineCapacity else {
            spilled = String(decoding: bytes, as: UTF8.self)
            return
        }
        withUnsafeMutableBytes(of: &inline) { storage in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                storage.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
            }
            storage[Self.inlineCapacity] = UInt8(truncatingIfNeeded: bytes.count)
        }
    }

    /// `text`'s UTF-8 bytes.
    public init(_ text: String) {
        if let copied = text.utf8.withContiguousStorageIfAvailable({ Self($0) }) {
            self = copied
            return
        }
        var copy = text
        self = copy.withUTF8 { Self($0) }
    }

    /// The number of bytes.
    public var count: Int {
        if let spilled { return spilled.utf8.count }
        return withUnsafeBytes(of: inline) { Int($0[Self.inlineCapacity]) }
    }

    /// Calls `body` with the bytes, valid only during `body`.
    @inline(__always)
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if var spilled { return try spilled.withUTF8(body) }
        return try withUnsafeBytes(of: inline) { storage in
            try body(UnsafeBufferPointer(start: storage.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(storage[Self.inlineCapacity])))
        }
    }

    /// The value as a `String` (cold paths: tools, tests, plain values).
    public var string: String {
        if let spilled { return spilled }
        return withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    /// Byte for byte (not `String`'s `==`, which equates canonically equivalent texts).
    public static func == (lhs: NormalizedBytes, rhs: NormalizedBytes) -> Bool {
        lhs.withUTF8 { left in rhs.withUTF8 { right in sameBytes(left, right) } }
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Whether two byte buffers hold the same bytes.
@inline(__always)
func sameBytes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
    guard left.count == right.count else { return false }
    guard let leftBase = left.baseAddress, let rightBase = right.baseAddress, !left.isEmpty else { return true }
    return memcmp(leftBase, rightBase, left.count) == 0
}
