#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends JSON to a growable byte buffer, with no intermediate `String`s or `Foundation`.
///
/// The writer does not track structure; callers emit separators through ``beginObject()``,
/// ``key(_:)`` and friends, which keeps encoding straight-line. Bytes go through a raw pointer into
/// storage the writer owns (no uniqueness or bounds check per byte, as an `Array` would do), so the
/// writer is non-copyable; ``bytes`` hands out the result as an exactly sized array. Strings are
/// checked for characters to escape eight bytes at a time (``JSONStringBytes``). It is `Sendable`
/// because it cannot be copied: whoever holds it is the storage's only owner.
public struct JSONWriter: ~Copyable, @unchecked Sendable {
    @usableFromInline var storage: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    /// Bytes written so far (``count``; stored apart so that inlinable code can set it).
    @usableFromInline var written = 0
    /// Bit `d`: the open container at depth `d + 1` already has a member (so the next one needs a
    /// comma). A bit set instead of a stack: no allocation, no bounds checks.
    private var hasMembers: UInt64 = 0
    /// The innermost open container's bit in `hasMembers` (`1 << (depth - 1)`), kept rather than
    /// shifted out of `depth` on every member; 0 outside any container.
    private var currentBit: UInt64 = 0
    private var depth = 0
    /// Whether `storage` is the writer's, to grow with `realloc` and free (``init(borrowing:capacity:)``).
    private var ownsStorage = true

    /// Containers nest at most this deep.
    public static let maximumDepth = 64

    public init(reservingCapacity capacity: Int = 1024) {
        self.capacity = max(capacity, 64)
        storage = Self.allocate(self.capacity)
    }

    /// Writes into `storage`, which the caller owns and keeps valid (and frees) while the writer
    /// lives, until it needs more than `capacity` bytes; then into storage of its own, which the
    /// writer frees. A `capacity` of 0 writes nothing there (`storage` may be any pointer).
    public init(borrowing storage: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.storage = storage
        self.capacity = capacity
        ownsStorage = false
    }

    deinit { if ownsStorage { free(storage) } }

    /// Storage comes from `malloc` and grows with `realloc`: `UnsafeMutablePointer.allocate`
    /// always takes the runtime's aligned path (`posix_memalign`), which costs more per call and
    /// cannot grow a block in place.
    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<UInt8> {
        guard let block = malloc(capacity) else { fatalError("out of memory: JSONWriter needs \(capacity) bytes") }
        return block.assumingMemoryBound(to: UInt8.self)
    }

    /// Bytes written so far.
    @inlinable public var count: Int { written }

    /// The JSON written so far, as an array of exactly ``count`` bytes.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// Calls `body` with the JSON written so far, without copying it.
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: storage, count: count))
    }

    /// Clears the content but keeps the allocated capacity.
    public mutating func reset() {
        written = 0
        hasMembers = 0
        currentBit = 0
        depth = 0
    }

    // MARK: Raw output

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always)
    mutating func reserve(_ extra: Int) {
        if _slowPath(written &+ extra > capacity) { grow(toAtLeast: written &+ extra) }
    }

    /// Releases no object (`@_effects(releasenone)`): callers in other modules, which cannot see
    /// its body, may then keep a borrowed value (an item's bytes) across a growth without retaining it.
    @_effects(releasenone)
    @usableFromInline mutating func grow(toAtLeast needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        if !ownsStorage {
            let block = Self.allocate(newCapacity)
            block.update(from: storage, count: written)
            storage = block
            capacity = newCapacity
            ownsStorage = true
            return
        }
        guard let block = realloc(storage, newCapacity) else { fatalError("out of memory: JSONWriter needs \(newCapacity) bytes") }
        storage = block.assumingMemoryBound(to: UInt8.self)
        capacity = newCapacity
    }

    /// Appends one byte; room must have been reserved.
    @inline(__always)
    mutating func put(_ byte: UInt8) {
        storage[written] = byte
        written += 1
    }

    /// Appends bytes; room must have been reserved.
    @inline(__always)
    mutating func put(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress else { return }
        Self.copy(source, to: storage + written, count: buffer.count)
        written += buffer.count
    }

    /// Appends `count` bytes from `source`, making room first. Inlined into the encoders, so a
    /// fragment's constant length picks its copy at compile time.
    @inlinable @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, count: Int) {
        reserve(count)
        Self.copy(source, to: storage + written, count: count)
        written &+= count
    }

    /// Copies `count` bytes between buffers that do not overlap. Most of what a writer copies is
    /// short (keys, names, codes): up to 16 bytes are two overlapping 8- or 4-byte loads and
    /// stores in line instead of a `memcpy` call. Every load and store stays within the `count`
    /// bytes.
    @inlinable @inline(__always)
    static func copy(_ source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(target)
        switch count {
        case 17...:
            to.copyMemory(from: from, byteCount: count)
        case 8...:
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        case 4...:
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        default:
            for offset in 0..<count { target[offset] = source[offset] }
        }
    }

    /// Appends `"bytes"` for bytes with nothing to escape (keys, digests), through one pointer and
    /// one count update; room must have been reserved.
    @inline(__always)
    private mutating func putQuoted(unescaped bytes: UnsafeBufferPointer<UInt8>) {
        let target = storage + written
        target[0] = UInt8(ascii: "\"")
        if let source = bytes.baseAddress { Self.copy(source, to: target + 1, count: bytes.count) }
        target[bytes.count + 1] = UInt8(ascii: "\"")
        written += bytes.count + 2
    }

    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        reserve(buffer.count)
        put(buffer)
    }

    private mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(utf8 text: String) {
        Self.withUTF8(of: text) { append($0) }
    }

    /// Calls `body` with a string's UTF-8 bytes in place. `String.withUTF8` is `mutating`, so
    /// calling it on a copy retains and releases the string's storage each time (~170 times per
    /// order across the five encoders); a native string's contiguous view needs no copy.
    @inlinable @inline(__always)
    static func withUTF8<Result>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    // MARK: Structure

    /// Writes the comma before a member or element when its container already has one (nothing
    /// outside any container, where `currentBit` is 0); room for one byte must have been reserved.
    @inline(__always)
    private mutating func separator() {
        if hasMembers & currentBit != 0 { put(UInt8(ascii: ",")) }
        hasMembers |= currentBit
    }

    private mutating func open(_ bracket: UInt8) {
        reserve(2)
        separator()
        put(bracket)
        precondition(depth < Self.maximumDepth, "JSONWriter nests at most \(Self.maximumDepth) containers")
        depth += 1
        currentBit = currentBit == 0 ? 1 : currentBit << 1
        hasMembers &= ~currentBit
    }

    private mutating func close(_ bracket: UInt8) {
        reserve(1)
        put(bracket)
        depth -= 1
        currentBit >>= 1
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }

    public mutating func endObject() { close(UInt8(ascii: "}")) }

    public mutating func beginArray() { open(UInt8(ascii: "[")) }

    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes an object key; the next value written belongs to it. `,"name":` goes through one
    /// pointer with one count update (the separator, quotes and colon were separate writes, each
    /// updating the count: ~60 instructions a key, 164 keys an order).
    public mutating func key(_ name: StaticString) {
        let length = name.utf8CodeUnitCount
        reserve(length &+ 4)
        var target = storage + written
        if hasMembers & currentBit != 0 {
            target[0] = UInt8(ascii: ",")
            target += 1
        }
        // The member's comma is written; its value must not write another.
        hasMembers &= ~currentBit
        target[0] = UInt8(ascii: "\"")
        Self.copy(name.utf8Start, to: target + 1, count: length)
        target[length &+ 1] = UInt8(ascii: "\"")
        target[length &+ 2] = UInt8(ascii: ":")
        written = target + (length &+ 3) - storage
    }

    /// Writes an object key that is not known at compile time.
    public mutating func key(dynamic name: String) {
        reserve(1)
        separator()
        appendQuoted(name)
        reserve(1)
        put(UInt8(ascii: ":"))
        hasMembers &= ~currentBit
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        reserve(1)
        separator()
        appendQuoted(value)
    }

    /// Writes a string that has nothing to escape (ASCII from 0x20, no `"` or `\`: hex digests,
    /// codes built from letters and digits) without scanning it. Checked in debug builds only:
    /// anything else belongs in ``string(_:)``.
    public mutating func unescapedString(_ value: String) {
        Self.withUTF8(of: value) { bytes in
            assert(bytes.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
            reserve(bytes.count + 3)
            separator()
            putQuoted(unescaped: bytes)
        }
    }

    /// Writes a string of `count` bytes that `fill` writes in place, with nothing to escape (as
    /// for ``unescapedString(_:)``): a value formatted straight into the output, such as a
    /// digest's hexadecimal digits, with no `String` in between.
    public mutating func unescapedString(count: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Void) {
        reserve(count + 3)
        separator()
        storage[written] = UInt8(ascii: "\"")
        fill(storage + written + 1)
        assert(UnsafeBufferPointer(start: storage + written + 1, count: count).allSatisfy {
            $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
        })
        storage[written + count + 1] = UInt8(ascii: "\"")
        written += count + 2
    }

    public mutating func number(_ value: JSONNumber) {
        reserve(1)
        separator()
        append(utf8: value.literal)
    }

    public mutating func integer(_ value: Int64) {
        reserve(21)
        separator()
        putInteger(value)
    }

    /// Appends `value`'s digits; room for 20 bytes must have been reserved.
    @_effects(releasenone)
    mutating func putInteger(_ value: Int64) {
        written &+= Self.writeDecimal(value, to: storage + written)
    }

    /// Writes `value`'s digits (after a `-` when negative) at `target`, which has room for 20
    /// bytes, and returns how many bytes it wrote. The digits are counted first and written
    /// backwards, two at a time from a table of the pairs `00`–`99`: no buffer to copy from.
    @inline(__always)
    static func writeDecimal(_ value: Int64, to target: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = target
        if value < 0 {
            target[0] = UInt8(ascii: "-")
            digits += 1
        }
        var magnitude = value.magnitude
        let count = Self.decimalDigitCount(magnitude)
        var position = count
        let pairs = UnsafeRawPointer(Self.digitPairs.utf8Start)
        while magnitude >= 100 {
            let pair = Int(truncatingIfNeeded: magnitude % 100)
            magnitude /= 100
            position &-= 2
            UnsafeMutableRawPointer(digits + position).storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: pair &* 2, as: UInt16.self), as: UInt16.self)
        }
        if magnitude >= 10 {
            UnsafeMutableRawPointer(digits + (position &- 2)).storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: magnitude) &* 2, as: UInt16.self), as: UInt16.self)
        } else {
            digits[position &- 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
        }
        return digits - target &+ count
    }

    /// The two digits of each number 0–99, in order.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// The powers of ten 10⁰–10¹⁹ (all that fit in `UInt64`).
    private static let powersOfTen: [UInt64] = [
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
        10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000, 10000000000000000000,
    ]

    /// How many decimal digits `value` has (1 for 0): its bit length times log₁₀ 2 (1233 / 4096)
    /// is the digit count or one less, and a comparison with a power of ten decides.
    @inline(__always)
    static func decimalDigitCount(_ value: UInt64) -> Int {
        let atLeastOne = value | 1
        let estimate = ((64 &- atLeastOne.leadingZeroBitCount) &* 1233) >> 12
        return estimate &+ (atLeastOne >= powersOfTen[estimate] ? 1 : 0)
    }

    public mutating func bool(_ value: Bool) {
        reserve(1)
        separator()
        append(value ? "true" : "false")
    }

    public mutating func null() {
        reserve(1)
        separator()
        append("null")
    }

    /// Inserts already-encoded JSON (one complete value) as the next value.
    public mutating func raw(_ encoded: some Collection<UInt8>) {
        reserve(1)
        separator()
        if encoded.withContiguousStorageIfAvailable({ append($0) }) == nil {
            Array(encoded).withUnsafeBufferPointer { append($0) }
        }
    }

    /// Writes any parsed value back out, members in document order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for member in object.members {
                key(dynamic: member.key)
                self.value(member.value)
            }
            endObject()
        }
    }

    // MARK: Strings

    private static let hexDigits: StaticString = "0123456789abcdef"

    private mutating func appendQuoted(_ value: String) {
        Self.withUTF8(of: value) { appendQuoted($0) }
    }

    /// Writes `"value"`, copying runs that need no escaping in one go.
    private mutating func appendQuoted(_ value: UnsafeBufferPointer<UInt8>) {
        reserve(value.count + 2)
        put(UInt8(ascii: "\""))
        putEscaped(value)
        put(UInt8(ascii: "\""))
    }

    /// Writes `value` escaped, without quotes; room for `value.count + 1` bytes must have been
    /// reserved (each escape reserves its own room).
    @_effects(releasenone)
    mutating func putEscaped(_ value: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        while true {
            var ignored: UInt64 = 0
            let index = JSONStringBytes.firstSpecial(in: value, from: runStart, bitsSeen: &ignored)
            put(UnsafeBufferPointer(rebasing: value[runStart..<index]))
            guard index < value.count else { break }
            runStart = index + 1
            // Room for the rest of the value plus this escape's longest form and the closing quote.
            reserve(value.count - index + 7)
            put(UInt8(ascii: "\\"))
            let byte = value[index]
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(byte)
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "t"))
            default:
                let digits = Self.hexDigits.utf8Start
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "0"))
                put(digits[Int(byte >> 4)])
                put(digits[Int(byte & 0x0F)])
            }
        }
    }
}
