#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One decoded event's text in one allocation: the record's bytes, followed by a side area for
/// the values whose escapes had to be resolved. The event's personal values (``RawPII``) and its
/// timestamp's text are byte ranges of it (``StoredText``), so decoding makes one buffer per
/// event instead of a `String` per value, and checks UTF-8 only where a value has a non-ASCII
/// byte.
///
/// Written only by the decoder that creates it, and only before it hands out any value (the
/// side area grows past every range already handed out); read-only after that, which is why
/// ``StoredText`` may be `Sendable` (`ManagedBuffer` itself never is).
@usableFromInline
final class EventText: ManagedBuffer<Int, UInt8> {
    /// A buffer holding `record`, with room after it for `sideCapacity` bytes of resolved values.
    /// The header is the count of bytes in use.
    static func copying(_ record: UnsafeBufferPointer<UInt8>, sideCapacity: Int) -> EventText {
        let text = unsafeDowncast(
            EventText.create(minimumCapacity: record.count + sideCapacity) { _ in record.count }, to: EventText.self)
        if let base = record.baseAddress, record.count > 0 {
            text.withUnsafeMutablePointerToElements { $0.initialize(from: base, count: record.count) }
        }
        return text
    }

    /// The first `count` bytes (the record, when called before anything is appended).
    func prefix(_ count: Int) -> UnsafeBufferPointer<UInt8> {
        withUnsafeMutablePointerToElements { UnsafeBufferPointer(start: $0, count: count) }
    }

    /// `count` bytes at `start`.
    func bytes(at start: Int, count: Int) -> UnsafeBufferPointer<UInt8> {
        withUnsafeMutablePointerToElements { UnsafeBufferPointer(start: $0 + start, count: count) }
    }

    /// Where the next appended byte goes, and how many fit.
    var freeSpace: UnsafeMutableBufferPointer<UInt8> {
        let used = header
        return withUnsafeMutablePointerToElements { UnsafeMutableBufferPointer(start: $0 + used, count: capacity - used) }
    }
}

/// UTF-8 text held in one of two ways: up to 15 bytes inline (as a small `String` is: copying
/// it costs no reference counting), longer text as a byte range of an ``EventText`` (a decoded
/// event's, or a buffer of its own for text built in code). A decoded value is never copied
/// into a `String`; its bytes are checked as UTF-8 when the event is decoded.
///
/// `Sendable` although ``EventText`` is not: an event's text is read-only once decoded.
@usableFromInline
struct StoredText: @unchecked Sendable {
    /// The buffer holding longer text; `nil` for inline text.
    @usableFromInline let owner: EventText?
    /// Inline: bytes 0–7. In a buffer: the start (low 32 bits) and count (high 32 bits).
    @usableFromInline let low: UInt64
    /// Inline: bytes 8–14, and the count in the last byte.
    @usableFromInline let high: UInt64

    @inlinable static var inlineCapacity: Int { 15 }

    init(_ string: String) {
        var string = string
        self = string.withUTF8 { StoredText(copying: $0) }
    }

    /// `bytes` inline when they fit, otherwise in a buffer of their own.
    init(copying bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count <= Self.inlineCapacity {
            self.init(inline: bytes)
        } else {
            self.init(EventText.copying(bytes, sideCapacity: 0), start: 0, count: bytes.count)
        }
    }

    /// `count` bytes at `start` of `text`: copied inline when they fit (no reference to `text`).
    init(_ text: borrowing EventText, start: Int, count: Int) {
        if count <= Self.inlineCapacity {
            self.init(inline: text.bytes(at: start, count: count))
        } else {
            self.init(owner: copy text, low: UInt64(truncatingIfNeeded: start) | UInt64(truncatingIfNeeded: count) << 32, high: 0)
        }
    }

    private init(owner: EventText?, low: UInt64, high: UInt64) {
        self.owner = owner
        self.low = low
        self.high = high
    }

    private init(inline bytes: UnsafeBufferPointer<UInt8>) {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                raw.baseAddress!.copyMemory(from: base, byteCount: bytes.count)
            }
            raw[Self.inlineCapacity] = UInt8(truncatingIfNeeded: bytes.count)
        }
        self.init(owner: nil, low: words.0, high: words.1)
    }

    /// Calls `body` with the text's UTF-8 bytes, valid only during `body`. No allocation and no
    /// UTF-8 check (an event's text was checked when it was decoded).
    @inlinable @inline(__always)
    func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let owner {
            let start = Int(truncatingIfNeeded: low & 0xFFFF_FFFF)
            let count = Int(truncatingIfNeeded: low >> 32)
            return try owner.withUnsafeMutablePointerToElements { try body(UnsafeBufferPointer(start: $0 + start, count: count)) }
        }
        // As the standard library reads a small string: the two words' bytes, in place.
        var words = (low, high)
        return try withUnsafeBytes(of: &words) { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: Int(raw[Self.inlineCapacity])))
        }
    }

    /// The first byte, `nil` for empty text, read without a closure.
    var firstByte: UInt8? {
        if let owner {
            let count = Int(truncatingIfNeeded: low >> 32)
            return count == 0 ? nil : owner.bytes(at: Int(truncatingIfNeeded: low & 0xFFFF_FFFF), count: 1)[0]
        }
        return high >> 56 == 0 ? nil : UInt8(truncatingIfNeeded: low)
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
