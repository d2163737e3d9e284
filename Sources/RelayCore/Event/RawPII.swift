/// A raw personal identifier (email, phone, name, address, IP address, user agent, click id) as
/// the shop sent it, before normalisation and hashing.
///
/// Privacy by construction: printing, interpolating, dumping or reflecting a `RawPII` yields
/// `<redacted>`, so a value that slips into a log line, metric label or error message leaks
/// nothing. Code that must read the value (the normalisers) asks for ``unredactedValue``, which
/// is easy to find in review.
public struct RawPII: RedactedValue, Sendable, Hashable {
    public let unredactedValue: String

    public init(_ value: String) {
        self.unredactedValue = value
    }

    /// Calls `body` with the value's UTF-8 bytes, valid only during `body`: the normalisers'
    /// byte-level way in, which does not depend on how the value is stored.
    @inlinable
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        var value = unredactedValue
        return try value.withUTF8(body)
    }

    /// True when the value is empty after trimming whitespace.
    public var isBlank: Bool {
        // ASCII fast path: a non-space ASCII byte decides at once, without grapheme breaking.
        // The first byte alone decides for almost every value (no iterator over the view).
        let value = unredactedValue
        if let first = value.utf8Ends?.first, first < 0x80, first != 0x20, !(0x09...0x0D).contains(first) { return false }
        for byte in value.utf8 {
            if byte >= 0x80 { return value.allSatisfy(\.isWhitespace) }
            if byte != 0x20, !(0x09...0x0D).contains(byte) { return false }
        }
        return true
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
