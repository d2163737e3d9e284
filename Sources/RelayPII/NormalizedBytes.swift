#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import RelayCore

/// A normalised value's UTF-8 bytes. Up to ``inlineCapacity`` bytes (nearly every value: names,
/// phone numbers, postal codes, codes, email addresses, a digest the shop already hashed) are held
/// inline; a longer value is held in the ``IdentityContext`` it was normalised in, and referenced.
/// So the type is trivially copyable: copying one, or destroying one, is copying or dropping its
/// bytes, with no reference count and no outlined copy (a `String` for long values made every copy
/// and destruction of an identifier a call, ~3,000 instructions an order: callgrind of
/// `relay-hot-path`).
///
/// A value longer than ``inlineCapacity`` is valid only while its context lives: an identifier
/// normalised in a context stays with the context's owner (`PreparedEvent` keeps both);
/// ``IdentityNormalizer/normalize(_:_:for:countryHint:)`` returns an ``OwnedIdentifier``, which
/// holds its value itself. Not `Sendable` for that reason: it stays on the thread of its context.
///
/// Still personal data: it does not print its bytes (``description`` is `<redacted>`).
public struct NormalizedBytes: Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Bytes held inline.
    public static let inlineCapacity = 71

    /// Inline: bytes 0..<71 the value, byte 71 its length. Referenced: word 0 the address of the
    /// bytes (in the context), word 1 their count, byte 71 ``referenced``.
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// The index of byte 71, ``inlineCapacity`` (a literal: read in other modules' code).
    @inlinable static var markerIndex: Int { 71 }

    /// Byte 71's value for a referenced value (above any inline length).
    @inlinable static var referenced: UInt8 { 0xFF }

    /// A copy of `bytes` (valid UTF-8) inline, or in `context` when longer than ``inlineCapacity``.
    @inline(__always)
    init(_ bytes: UnsafeBufferPointer<UInt8>, in context: IdentityContext) {
        if bytes.count <= Self.inlineCapacity {
            self.init(inline: bytes)
        } else {
            self.init(referencing: context.keepLong(bytes))
        }
    }

    /// `text`'s UTF-8 bytes, inline or in `context`.
    init(_ text: String, in context: IdentityContext) {
        var copy = text
        self = copy.withUTF8 { Self($0, in: context) }
    }

    /// A copy of `bytes`, at most ``inlineCapacity`` of them (an E.164 number, a digest's digits),
    /// copied in line (``ShortCopy``). Inlined: where the identifier is built, the copy goes
    /// straight into it.
    @inline(__always)
    init(inline bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= Self.inlineCapacity, "a value held inline is at most inlineCapacity bytes")
        withUnsafeMutableBytes(of: &storage) { storage in
            if let base = bytes.baseAddress {
                ShortCopy.copy(base, to: storage.baseAddress!, count: bytes.count)
            }
            storage[Self.inlineCapacity] = UInt8(truncatingIfNeeded: bytes.count)
        }
    }

    /// The bytes at `bytes`, referenced: they must outlive the value (a context's long value).
    private init(referencing bytes: UnsafeBufferPointer<UInt8>) {
        storage.0 = UInt64(UInt(bitPattern: bytes.baseAddress))
        storage.1 = UInt64(bytes.count)
        withUnsafeMutableBytes(of: &storage) { $0[Self.inlineCapacity] = Self.referenced }
    }

    /// The number of bytes.
    @inlinable public var count: Int { withUTF8 { $0.count } }

    /// Calls `body` with the bytes, valid only during `body`. Inlinable: the encoders in other
    /// modules read plain values through it, and a call per value cost more than the read.
    @inlinable @inline(__always)
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(of: storage) { storage in
            let marker = storage[Self.markerIndex]
            if marker == Self.referenced {
                let address = UnsafePointer<UInt8>(bitPattern: UInt(truncatingIfNeeded: storage.load(as: UInt64.self)))
                let count = Int(truncatingIfNeeded: storage.load(fromByteOffset: 8, as: UInt64.self))
                return try body(UnsafeBufferPointer(start: address, count: count))
            }
            return try body(UnsafeBufferPointer(start: storage.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(marker)))
        }
    }

    /// The value's first 16 bytes and its count when it is held inline in at most 16 bytes (the
    /// bytes past the count are zero), else `nil`: a short value read as one vector, for a writer
    /// that copies it whole (``JSONWriter/unescapedContents(_:count:)``).
    @inlinable @inline(__always)
    public var shortInline: (bytes: SIMD16<UInt8>, count: Int)? {
        withUnsafeBytes(of: storage) { storage in
            let marker = storage[Self.markerIndex]
            guard marker <= 16 else { return nil }
            return (storage.loadUnaligned(as: SIMD16<UInt8>.self), Int(marker))
        }
    }

    /// The value as a `String` (cold paths: tools, tests, plain values).
    public var string: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }

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
