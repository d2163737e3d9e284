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

/// UTF-8 text that is either a `String` or a byte range of an ``EventText``: a decoded value is
/// the latter (no copy, no allocation), a value built in code the former.
///
/// `Sendable` although ``EventText`` is not: an event's text is read-only once decoded.
@usableFromInline
struct StoredText: @unchecked Sendable {
    @usableFromInline
    enum Base {
        case string(String)
        case event(EventText)
    }

    @usableFromInline let base: Base
    /// The range in an ``EventText`` (unused for a `String`).
    @usableFromInline let start: UInt32
    @usableFromInline let count: UInt32

    @inlinable
    init(_ string: String) {
        base = .string(string)
        start = 0
        count = 0
    }

    init(_ text: EventText, start: Int, count: Int) {
        base = .event(text)
        self.start = UInt32(truncatingIfNeeded: start)
        self.count = UInt32(truncatingIfNeeded: count)
    }

    /// Calls `body` with the text's UTF-8 bytes, valid only during `body`. No allocation and no
    /// UTF-8 check (an event's text was checked when it was decoded).
    @inlinable @inline(__always)
    func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch base {
        case .event(let text):
            let start = Int(start)
            let count = Int(count)
            return try text.withUnsafeMutablePointerToElements { try body(UnsafeBufferPointer(start: $0 + start, count: count)) }
        case .string(let string):
            if let result = try string.utf8.withContiguousStorageIfAvailable(body) { return result }
            var copy = string
            return try copy.withUTF8(body)
        }
    }

    /// The text as a `String`: the stored one, or a new one made from the event's bytes.
    var string: String {
        switch base {
        case .string(let string): string
        case .event: withUTF8 { String(decoding: $0, as: UTF8.self) }
        }
    }

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
