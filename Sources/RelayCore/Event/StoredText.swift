/// UTF-8 text held in one of two ways: up to 15 bytes inline (as a small `String` is: copying
/// it costs no reference counting), longer text as a byte range of an array it keeps alive: the
/// decoded record itself (read in place, no copy of the record), an escaped value's resolved
/// bytes, or text built in code. A decoded value is never copied into a `String`; its bytes are
/// checked as UTF-8 when the event is decoded.
///
/// `Sendable`: the array is never written after the text is made (a record's bytes are not
/// changed once decoding starts; an array is a value, so its owner cannot change them either).
@usableFromInline
struct StoredText: Sendable {
    /// The bytes longer text is a range of; `nil` for inline text.
    @usableFromInline let owner: [UInt8]?
    /// Inline: bytes 0–7 (the words as in memory: this code runs on little-endian machines). In `owner`: the start (low 32 bits) and count (high 32 bits).
    @usableFromInline let low: UInt64
    /// Inline: bytes 8–14, and the count in the last byte's low bits. Its top bit
    /// (``plainBit``), inline or not, says the bytes are known to hold no JSON special byte.
    @usableFromInline let high: UInt64

    /// Set in `high` when the bytes are known to hold no `"`, `\` or control character (the
    /// decoder's scan found none): a writer can copy them without looking for escapes.
    @inlinable static var plainBit: UInt64 { 1 << 63 }

    /// Whether the bytes are known to hold no `"`, `\` or control character; `false` when not
    /// known (text built in code, a value written with escapes).
    @inlinable var isKnownPlain: Bool { high & Self.plainBit != 0 }

    @inlinable static var inlineCapacity: Int { 15 }

    init(_ string: String) {
        var string = string
        self = string.withUTF8 { StoredText(copying: $0) }
    }

    /// `bytes` inline when they fit, otherwise in an array of their own.
    init(copying bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count <= Self.inlineCapacity {
            self.init(inline: bytes)
        } else {
            self.init(Array(bytes), start: 0, count: bytes.count)
        }
    }

    /// `count` bytes at `start` of `owner`, whose storage starts at `base` (so the bytes are read
    /// without asking the array): copied inline when they fit (no reference to `owner`). `plain`:
    /// the caller found no JSON special byte among them (``isKnownPlain``).
    @inline(__always)
    init(_ owner: borrowing [UInt8], base: UnsafePointer<UInt8>, start: Int, count: Int, plain: Bool = false) {
        let flag = plain ? Self.plainBit : 0
        if count <= Self.inlineCapacity {
            self.init(inline: base + start, count: count, readableUpTo: owner.count - start, flag: flag)
        } else {
            self.init(owner: copy owner, low: UInt64(truncatingIfNeeded: start) | UInt64(truncatingIfNeeded: count) << 32, high: flag)
        }
    }

    /// `count` (at most 15) bytes already read as two little-endian words, zero past `count`.
    /// `plain` as for ``init(_:base:start:count:plain:)``.
    @inline(__always)
    init(inline words: (low: UInt64, high: UInt64), count: Int, plain: Bool) {
        let flag = plain ? Self.plainBit : 0
        self.init(owner: nil, low: words.low, high: words.high | UInt64(truncatingIfNeeded: count) << 56 | flag)
    }

    /// `count` bytes at `start` of `owner`.
    init(_ owner: [UInt8], start: Int, count: Int) {
        self = owner.withUnsafeBufferPointer { StoredText(owner, base: $0.baseAddress!, start: start, count: count) }
    }

    private init(owner: [UInt8]?, low: UInt64, high: UInt64) {
        self.owner = owner
        self.low = low
        self.high = high
    }

    private init(inline bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else {
            self.init(owner: nil, low: 0, high: 0)
            return
        }
        self.init(inline: base, count: bytes.count, readableUpTo: bytes.count, flag: 0)
    }

    /// `count` (at most 15) bytes at `start` inline, where `readable` bytes from `start` may be
    /// read. With 16 readable bytes (a value inside a record: its closing quote and more follow)
    /// the two words are loaded and masked, without a call to `memcpy`. `flag`: 0 or ``plainBit``.
    @inline(__always)
    private init(inline start: UnsafePointer<UInt8>, count: Int, readableUpTo readable: Int, flag: UInt64) {
        let countByte = UInt64(truncatingIfNeeded: count) << 56 | flag
        guard readable >= 16 else {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { raw in
                raw.baseAddress!.copyMemory(from: start, byteCount: count)
            }
            self.init(owner: nil, low: words.0, high: words.1 | countByte)
            return
        }
        let raw = UnsafeRawPointer(start)
        let first = raw.loadUnaligned(as: UInt64.self)
        let second = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let bits = UInt64(truncatingIfNeeded: count) &* 8
        // Little-endian: a word's first bytes are its low bits. The bytes past `count` are zeroed,
        // as the copy above leaves them.
        if count >= 8 {
            let kept: UInt64 = (1 << (bits - 64)) &- 1  // count - 8 bytes of the second word, at most 7
            self.init(owner: nil, low: first, high: second & kept | countByte)
        } else {
            let kept: UInt64 = (1 << bits) &- 1
            self.init(owner: nil, low: first & kept, high: countByte)
        }
    }

    /// Calls `body` with the text's UTF-8 bytes, valid only during `body`. No allocation and no
    /// UTF-8 check (an event's text was checked when it was decoded).
    @inlinable @inline(__always)
    func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let owner {
            let start = Int(truncatingIfNeeded: low & 0xFFFF_FFFF)
            let count = Int(truncatingIfNeeded: low >> 32)
            return try owner.withUnsafeBufferPointer { try body(UnsafeBufferPointer(start: $0.baseAddress! + start, count: count)) }
        }
        // As the standard library reads a small string: the two words' bytes, in place.
        var words = (low, high)
        return try withUnsafeBytes(of: &words) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(raw[Self.inlineCapacity] & 0x7F)))
        }
    }

    /// The first byte, `nil` for empty text, read without a closure.
    var firstByte: UInt8? {
        if let owner {
            let count = Int(truncatingIfNeeded: low >> 32)
            return count == 0 ? nil : owner[Int(truncatingIfNeeded: low & 0xFFFF_FFFF)]
        }
        return high >> 56 & 0x7F == 0 ? nil : UInt8(truncatingIfNeeded: low)
    }

    /// The text as a new `String`.
    var string: String { withUTF8 { String(decoding: $0, as: UTF8.self) } }

    /// Byte-for-byte equality (not `String`'s canonical equivalence: `é` and `e` with a combining
    /// acute are different identifiers, and hash differently).
    func hasSameBytes(as other: StoredText) -> Bool {
        withUTF8 { left in other.withUTF8 { right in left.hasSameBytes(as: right) } }
    }

    func hash(into hasher: inout Hasher) {
        withUTF8 { bytes in
            hasher.combine(bytes.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
    }
}

/// Never prints or reflects its bytes: a long value's `owner` is the whole record, personal values
/// and all, so a default description of a ``Timestamp`` or ``RawPII`` would print it (as numbers).
extension StoredText: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    @usableFromInline var description: String { "<\(withUTF8(\.count)) bytes>" }
    @usableFromInline var debugDescription: String { description }
    @usableFromInline var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
