/// A raw personal identifier (email, phone, name, address, IP address, user agent, click id) as
/// the shop sent it, before normalisation and hashing.
///
/// Privacy by construction: printing, interpolating, dumping or reflecting a `RawPII` yields
/// `<redacted>`, so a value that slips into a log line, metric label or error message leaks
/// nothing. Code that must read the value (the normalisers) asks for ``unredactedValue``, which
/// is easy to find in review.
public struct RawPII: RedactedValue, Sendable, Hashable {
    /// The value's bytes: inline when short, else a byte range of its record when decoded (no
    /// `String` per value) or of an array of its own when built in code.
    @usableFromInline let text: StoredText

    public init(_ value: String) {
        self.text = StoredText(value)
    }

    /// A value of a decoded event, its bytes already checked to be UTF-8.
    @inline(__always)
    init(text: consuming StoredText) {
        self.text = text
    }

    /// The value as a `String`, made from its bytes on each call: for cold paths and tests; the
    /// normalisers read ``withUTF8(_:)``.
    public var unredactedValue: String { text.string }

    /// Calls `body` with the value's UTF-8 bytes, valid only during `body`: the normalisers'
    /// byte-level way in, which does not depend on how the value is stored. No allocation and no
    /// UTF-8 check.
    @inlinable @inline(__always)
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try text.withUTF8(body)
    }

    /// Calls `body` with the value's UTF-8 bytes (as ``withUTF8(_:)``) and whether they are known
    /// to hold no `"`, `\` or control character, so a JSON writer may copy them without scanning
    /// them again (the decoder's scan of the value found none). `false` means not known: text
    /// built in code, or a value the shop wrote with escapes.
    @inlinable @inline(__always)
    public func withUTF8AndPlainness<Result>(_ body: (UnsafeBufferPointer<UInt8>, Bool) throws -> Result) rethrows -> Result {
        let plain = text.isKnownPlain
        return try text.withUTF8 { try body($0, plain) }
    }

    /// Equal when the bytes are (not `String`'s canonical equivalence: the bytes are what gets
    /// normalised and hashed).
    public static func == (lhs: RawPII, rhs: RawPII) -> Bool { lhs.text.hasSameBytes(as: rhs.text) }

    public func hash(into hasher: inout Hasher) { text.hash(into: &hasher) }

    /// True when the value is empty after trimming whitespace.
    public var isBlank: Bool {
        // ASCII fast path: a non-space ASCII byte decides at once, without grapheme breaking; the
        // first byte alone decides for almost every value (read without a closure).
        if let first = text.firstByte, first < 0x80, first != 0x20, !(0x09...0x0D).contains(first) { return false }
        return withUTF8 { bytes in
            for byte in bytes {
                if byte >= 0x80 { return String(decoding: bytes, as: UTF8.self).allSatisfy(\.isWhitespace) }
                if byte != 0x20, !(0x09...0x0D).contains(byte) { return false }
            }
            return true
        }
    }
}

/// A value that must never be printed: `description`, `debugDescription`, `dump` and reflection
/// all yield `<redacted>`. Adopted by ``RawPII`` (personal data) and ``Secret`` (credentials).
public protocol RedactedValue: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    var unredactedValue: String { get }
}

extension RedactedValue {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
