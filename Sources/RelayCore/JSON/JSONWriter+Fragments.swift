#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// An encoder whose output has a fixed shape writes the constant bytes between its values as whole
// fragments (`,"event_id":"`, one copy) and the values between them, instead of a call per key,
// quote and bracket that each test and update the container state. These methods do not read or
// change that state: use them outside any container opened with ``JSONWriter/beginObject()`` or
// ``JSONWriter/beginArray()``, the caller writing every separator and bracket. An object or array
// whose members are all optional is bracketed by ``JSONWriter/beginMembers()`` and
// ``JSONWriter/endMembers(_:open:close:)``.
//
// The methods an encoder calls per value are `@inlinable`: compiled into the encoders (another
// module), a fragment's length is a constant and its copy a few loads and stores or one `memcpy`,
// where a call into this module, which cannot see the literal, cost ~130 instructions a fragment.
extension JSONWriter {
    /// Appends `text` as it is: JSON punctuation, keys and constant values.
    @inlinable @inline(__always)
    public mutating func fragment(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// Appends `bytes` as they are: a fragment built once from configuration.
    @inlinable
    public mutating func fragment(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { fragment($0) }
    }

    /// Appends `bytes` as they are.
    @inlinable @_effects(releasenone)
    public mutating func fragment(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        append(base, count: bytes.count)
    }

    /// Appends `head`, the `count` bytes at `body` and `tail` as they are (`,"em":["`, a digest's
    /// digits, `"]`): one reserve and one count update for the three copies.
    @inlinable @inline(__always)
    public mutating func fragments(_ head: StaticString, _ body: UnsafePointer<UInt8>, count: Int, _ tail: StaticString) {
        let headCount = head.utf8CodeUnitCount
        let tailCount = tail.utf8CodeUnitCount
        let total = headCount &+ count &+ tailCount
        reserve(total)
        let target = storage + written
        Self.copy(head.utf8Start, to: target, count: headCount)
        Self.copy(body, to: target + headCount, count: count)
        Self.copy(tail.utf8Start, to: target + (headCount &+ count), count: tailCount)
        written &+= total
    }

    /// ``fragments(_:_:count:_:)`` with a head of `headCount` bytes at `head`, from which
    /// ``paddedHeadReadable`` bytes are readable: the head is stored whole, with no branch on its
    /// length, and the body written over what follows it.
    @inlinable @inline(__always)
    public mutating func fragments(
        padded head: UnsafePointer<UInt8>, count headCount: Int, _ body: UnsafePointer<UInt8>, count: Int, _ tail: StaticString
    ) {
        let tailCount = tail.utf8CodeUnitCount
        reserve(Self.paddedHeadReadable &+ count &+ tailCount)
        let target = storage + written
        Self.copy(head, to: target, count: Self.paddedHeadReadable)
        Self.copy(body, to: target + headCount, count: count)
        Self.copy(tail.utf8Start, to: target + (headCount &+ count), count: tailCount)
        written &+= headCount &+ count &+ tailCount
    }

    /// The bytes ``fragments(padded:count:_:count:_:)`` reads from its head.
    @inlinable public static var paddedHeadReadable: Int { 24 }

    /// Drops what was written after the first `position` bytes: an event an encoder wrote part
    /// of and then excluded. Only outside any container opened with ``beginObject()`` or
    /// ``beginArray()`` (their state is not rewound).
    public mutating func truncate(to position: Int) {
        precondition(position >= 0 && position <= written, "truncating to within what was written")
        written = position
    }

    /// Gives back the capacity beyond what was written (a block of payloads that is full: its
    /// slack would otherwise live as long as its payloads).
    public mutating func shrinkToFit() {
        guard capacity - written > capacity / 8, written >= 64 else { return }
        guard let block = realloc(storage, written) else { return }
        storage = block.assumingMemoryBound(to: UInt8.self)
        capacity = written
    }

    /// Appends the contents of a JSON string holding `value`, escaped, without the quotes.
    public mutating func stringContents(_ value: String) {
        Self.withUTF8(of: value) { bytes in
            reserve(bytes.count)
            putEscaped(bytes)
        }
    }

    /// Appends the contents of a JSON string holding the UTF-8 text `bytes`, escaped, without the quotes.
    @_effects(releasenone)
    public mutating func stringContents(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        putEscaped(bytes)
    }

    /// Appends `value`, which has nothing to escape (as for ``unescapedString(_:)``: ISO codes,
    /// number literals, timestamps, ids checked once by ``needsNoEscaping(_:)``), without the
    /// quotes and without scanning it.
    @inlinable
    public mutating func unescapedStringContents(_ value: String) {
        Self.withUTF8(of: value) { bytes in
            assert(Self.needsNoEscaping(bytes))
            fragment(bytes)
        }
    }

    /// Appends `count` bytes that `fill` writes in place, with nothing to escape (a digest's
    /// hexadecimal digits), without quotes.
    public mutating func unescapedStringContents(count: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Void) {
        reserve(count)
        fill(storage + written)
        assert(!UnsafeBufferPointer(start: storage + written, count: count).contains { JSONStringBytes.isSpecial($0) })
        written += count
    }

    /// Appends the decimal digits of `value`, with no separator.
    @_effects(releasenone)
    public mutating func integerLiteral(_ value: Int64) {
        reserve(20)
        putInteger(value)
    }

    /// Appends short text held in line (``ShortText``): all its storage is stored, and the count
    /// moves past the text alone (the rest is overwritten by what comes next), so the copy has no
    /// branch on the length.
    @inlinable @inline(__always)
    public mutating func fragment(_ text: ShortText) {
        reserve(ShortText.capacity)
        UnsafeMutableRawPointer(storage + written).storeBytes(of: text.storage, as: ShortText.Storage.self)
        written &+= text.count
    }

    /// Appends the first `count` (at most 16) of `bytes` as a string's contents and returns `true`
    /// when none of them needs escaping; else writes nothing and returns `false`. For a short
    /// value held in line: one test of its 16 bytes and one store of them all, the count moving
    /// past the value alone (as ``fragment(_:)-(ShortText)`` does), no scan or copy of a run-time
    /// length.
    @inlinable @inline(__always)
    public mutating func unescapedContents(_ bytes: SIMD16<UInt8>, count: Int) -> Bool {
        let lanes = SIMD16<UInt8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let special = JSONStringBytes.specialBytes(bytes) .& (lanes .< SIMD16<UInt8>(repeating: UInt8(truncatingIfNeeded: count)))
        let words = unsafeBitCast(special, to: SIMD2<UInt64>.self)
        guard words[0] | words[1] == 0 else { return false }
        reserve(16)
        UnsafeMutableRawPointer(storage + written).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
        written &+= count
        return true
    }

    /// Appends ``RFC3339/format(epochSeconds:)``'s text (nothing to escape), without quotes:
    /// formatted in place, with no `String` in between.
    public mutating func timestampContents(epochSeconds: Int64) {
        reserve(RFC3339.formattedCount)
        if RFC3339.write(epochSeconds: epochSeconds, to: storage + written) {
            written &+= RFC3339.formattedCount
        } else {
            unescapedStringContents(RFC3339.format(epochSeconds: epochSeconds))
        }
    }

    /// Appends ``RFC3339/format(epochSeconds:)``'s text of `time` as ``timestampContents(epochSeconds:)``
    /// does: the event's own text when the decoder found it to be that text (``Timestamp/isFormatted``),
    /// copied, else formatted.
    public mutating func timestampContents(_ time: Timestamp) {
        guard time.isFormatted else { return timestampContents(epochSeconds: time.epochSeconds) }
        time.withText { append($0) }
    }

    /// Appends a number's literal, with no separator.
    public mutating func numberLiteral(_ value: JSONNumber) {
        append(utf8: value.literal)
    }

    /// Starts an object or array whose members are all optional: write each member with a
    /// leading comma (`,"em":[…]`), then close with ``endMembers(_:open:close:)`` and the
    /// returned position. No flag per member says whether a comma is due: the first member's
    /// comma becomes the opening bracket.
    @inlinable
    public func beginMembers() -> Int { written }

    /// Ends what ``beginMembers()`` started at `start`: `open` over the first member's comma and
    /// `close` after the last, or `open` and `close` alone when no member was written.
    @inlinable @_effects(releasenone)
    public mutating func endMembers(_ start: Int, open: UInt8, close: UInt8) {
        if written == start {
            reserve(2)
            storage[written] = open
            written &+= 1
        } else {
            precondition(storage[start] == UInt8(ascii: ","), "every member after beginMembers() starts with a comma")
            storage[start] = open
            reserve(1)
        }
        storage[written] = close
        written &+= 1
    }

    /// Whether `bytes` can go into a JSON string as they are (no `"`, `\` or control character):
    /// checked once for a value written many times (an event's ids, once per platform), which is
    /// then written with ``unescapedStringContents(_:)``.
    public static func needsNoEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        !JSONStringBytes.containsSpecial(bytes)
    }

    /// ``needsNoEscaping(_:)`` for `text`'s UTF-8 bytes.
    public static func needsNoEscaping(_ text: String) -> Bool {
        withUTF8(of: text) { needsNoEscaping($0) }
    }
}

/// Up to ``capacity`` bytes held in line, for a short value written many times: an event's id and
/// time, once per platform (``JSONWriter/fragment(_:)``, one store instead of a copy of a run-time
/// length from a `String`'s storage).
public struct ShortText: Sendable {
    @usableFromInline typealias Storage = (UInt64, UInt64, UInt64, UInt64)
    /// The most bytes it holds.
    @inlinable public static var capacity: Int { MemoryLayout<Storage>.size }
    /// The text, from the first byte; the bytes after it are zero.
    @usableFromInline let storage: Storage
    /// The count in one byte (at most ``capacity``): with an optional's tag the text takes 40
    /// bytes of its holder, not 48 (`PreparedEvent` holds three).
    @usableFromInline let countByte: UInt8
    /// How many bytes it holds.
    @inlinable var count: Int { Int(countByte) }

    /// `text`'s UTF-8 bytes, or `nil` when there are more than ``capacity``.
    public init?(_ text: String) {
        guard let held = JSONWriter.withUTF8(of: text, { ShortText($0) }) else { return nil }
        self = held
    }

    /// `bytes`, or `nil` when there are more than ``capacity``.
    public init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= Self.capacity else { return nil }
        var storage: Storage = (0, 0, 0, 0)
        if let base = bytes.baseAddress {
            withUnsafeMutableBytes(of: &storage) { $0.baseAddress.unsafelyUnwrapped.copyMemory(from: base, byteCount: bytes.count) }
        }
        self.storage = storage
        countByte = UInt8(truncatingIfNeeded: bytes.count)
    }

    /// `value`'s decimal digits, as `JSONWriter.integerLiteral` writes them.
    public init(decimal value: Int64) {
        var storage: Storage = (0, 0, 0, 0)
        countByte = withUnsafeMutableBytes(of: &storage) { bytes in
            UInt8(truncatingIfNeeded: JSONWriter.writeDecimal(value, to: bytes.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)))
        }
        self.storage = storage
    }

    /// The text's bytes (tests, cold paths).
    public var bytes: [UInt8] { withUnsafeBytes(of: storage) { Array($0.prefix(count)) } }
}
