#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the bytes that end a run of plain JSON string content: `"`, `\` and control characters
/// below 0x20 (RFC 8259 §7). The writer must escape exactly these; the parser stops at them.
///
/// Clean text is checked eight bytes at a time with branch-free bit arithmetic ("determine if a
/// word has a byte less than n", Stanford bit-twiddling hacks), whose lowest marked lane is the
/// first special byte.
@usableFromInline
enum JSONStringBytes {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte lane of `word` (little-endian) that may be special. The lowest
    /// set bit is exact: a borrow can mark a lane above a special byte, never one below the first.
    @inline(__always)
    private static func specialLanes(_ word: UInt64) -> UInt64 {
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        return ((word &- ones &* 0x20) & ~word | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highBits
    }

    @inline(__always)
    static func isSpecial(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The index of the first special byte at or after `start`, or `buffer.count` (or `start` when
    /// that is past the end). `bitsSeen` collects the OR of every byte passed over, so a caller can
    /// tell whether they were all ASCII (`bitsSeen & 0x80 == 0` on every byte lane).
    ///
    /// Sixteen bytes at a time as a vector, then eight as a word: the special byte is located
    /// inside its word from the lanes' bits, and fewer than eight bytes at the end are read as the buffer's last word, its lanes already
    /// passed over (or before `start`) replaced by a plain byte (`A`). Buffers shorter than a word
    /// go byte by byte.
    /// `JSONStringBytesTests` compares it with a byte-by-byte scan.
    @inline(__always)
    static func firstSpecial(in buffer: UnsafeBufferPointer<UInt8>, from start: Int, bitsSeen: inout UInt64) -> Int {
        guard let base = buffer.baseAddress, start < buffer.count else { return max(start, buffer.count) }
        let raw = UnsafeRawPointer(base)
        var index = start
        // Sixteen bytes a turn as one vector while they are left: the compares mark each special
        // byte's lane 0xFF (exact), read back as two words for `found`.
        var seen = SIMD16<UInt8>()
        while index + 16 <= buffer.count {
            let vector = raw.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
            // Read as words, not by `any(_:)`, which was a call.
            let marked = unsafeBitCast(specialBytes(vector), to: SIMD2<UInt64>.self)
            if marked[0] | marked[1] != 0 {
                let words = unsafeBitCast(vector, to: SIMD2<UInt64>.self)
                let before = unsafeBitCast(seen, to: SIMD2<UInt64>.self)
                bitsSeen |= before[0] | before[1]
                if marked[0] != 0 { return found(marked[0], in: words[0], at: index, bitsSeen: &bitsSeen) }
                bitsSeen |= words[0]
                return found(marked[1], in: words[1], at: index + 8, bitsSeen: &bitsSeen)
            }
            seen |= vector
            index += 16
        }
        let passed = unsafeBitCast(seen, to: SIMD2<UInt64>.self)
        bitsSeen |= passed[0] | passed[1]
        while index + 8 <= buffer.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let lanes = specialLanes(word)
            if lanes != 0 { return found(lanes, in: word, at: index, bitsSeen: &bitsSeen) }
            bitsSeen |= word
            index += 8
        }
        guard index < buffer.count else { return index }
        if buffer.count >= 8 {
            // 1...7 bytes left: the last word, whose first `before` lanes were already passed over
            // (or lie before `start`) and are replaced by `A`.
            let wordStart = buffer.count - 8
            let before = UInt64(index - wordStart)
            let kept: UInt64 = ~0 << (before &* 8)
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: wordStart, as: UInt64.self)) & kept
                | (ones &* 0x41) & ~kept
            let lanes = specialLanes(word)
            if lanes != 0 { return found(lanes, in: word, at: wordStart, bitsSeen: &bitsSeen) }
            bitsSeen |= word
            return buffer.count
        }
        while index < buffer.count, !isSpecial(buffer[index]) {
            bitsSeen |= UInt64(buffer[index])
            index += 1
        }
        return index
    }

    /// Whether `buffer` holds a special byte anywhere: ``firstSpecial(in:from:bitsSeen:)`` when only
    /// the answer counts. Sixteen bytes a turn as a vector, as there, every turn's compares OR-ed
    /// together and tested once, at the end (no branch per turn, no position worked out); the last
    /// 1–15 bytes are read as the buffer's last sixteen, which may overlap the turn before. Buffers
    /// of 8–15 bytes are read as two words (the first and the last eight, possibly overlapping),
    /// shorter ones byte by byte.
    @inline(__always)
    static func containsSpecial(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return false }
        let count = buffer.count
        let raw = UnsafeRawPointer(base)
        guard count >= 16 else {
            guard count >= 8 else {
                for byte in buffer where isSpecial(byte) { return true }
                return false
            }
            let first = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            let last = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
            return specialLanes(first) | specialLanes(last) != 0
        }
        var marked = SIMDMask<SIMD16<Int8>>()
        var index = 0
        while index + 16 <= count {
            marked .|= specialBytes(raw.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self))
            index += 16
        }
        if index < count {
            marked .|= specialBytes(raw.loadUnaligned(fromByteOffset: count - 16, as: SIMD16<UInt8>.self))
        }
        // Read as words, not by `any(_:)`, which was a call.
        let words = unsafeBitCast(marked, to: SIMD2<UInt64>.self)
        return words[0] | words[1] != 0
    }

    /// Each special byte's lane of `vector` set (exact). Vector operands, not scalars: compares
    /// with a scalar were compiled lane by lane.
    @inlinable @inline(__always)
    static func specialBytes(_ vector: SIMD16<UInt8>) -> SIMDMask<SIMD16<Int8>> {
        (vector .< SIMD16<UInt8>(repeating: 0x20)) .| (vector .== SIMD16<UInt8>(repeating: UInt8(ascii: "\"")))
            .| (vector .== SIMD16<UInt8>(repeating: UInt8(ascii: "\\")))
    }

    /// The index of the special byte `lanes` (``specialLanes(_:)`` of the word at `wordStart`)
    /// marks first, with the bytes before it OR-ed into `bitsSeen`.
    @inline(__always)
    private static func found(_ lanes: UInt64, in word: UInt64, at wordStart: Int, bitsSeen: inout UInt64) -> Int {
        let lane = lanes.trailingZeroBitCount >> 3
        bitsSeen |= word & ((1 << (UInt64(lane) &* 8)) &- 1)
        return wordStart + lane
    }

    /// Whether any byte OR-ed into `bitsSeen` had its high bit set (was not ASCII).
    @inline(__always)
    static func sawNonASCII(_ bitsSeen: UInt64) -> Bool { bitsSeen & highBits != 0 }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether both buffers hold the same bytes, compared by `memcmp`: the generic
    /// `elementsEqual` walks a byte at a time through collection indices (the parser compares
    /// this way whenever it checks that non-ASCII text is valid UTF-8).
    @inline(__always)
    func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        guard count > 0, let base = baseAddress, let otherBase = other.baseAddress else { return true }
        return memcmp(base, otherBase, count) == 0
    }

    /// Whether the buffer holds `literal`'s bytes (by `memcmp`; the generic `elementsEqual` went
    /// byte by byte through collection indices).
    @inline(__always)
    func hasSameBytes(as literal: StaticString) -> Bool {
        hasSameBytes(as: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}

extension JSONStringBytes {
    /// Whether `bytes` are well-formed UTF-8 (Unicode 15, table 3-7: no overlong forms, no
    /// surrogates, nothing past U+10FFFF), as `String(validating:)` decides, without making a
    /// `String`. ASCII runs go eight bytes at a time. `JSONStringBytesTests` compares it with the
    /// standard library on every short sequence.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            if index + 8 <= count {
                // Little-endian: the lowest marked lane is the first byte that is not ASCII; the
                // ones before it are skipped together.
                let nonASCII = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & highBits
                guard nonASCII != 0 else {
                    index += 8
                    continue
                }
                index += nonASCII.trailingZeroBitCount >> 3
            }
            let lead = base[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: return false
            }
            guard index + length <= count else { return false }
            let second = base[index + 1]
            guard second >= low, second <= high else { return false }
            for offset in 2..<length where base[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    /// How many Unicode scalars well-formed UTF-8 `bytes` hold: the bytes that are not
    /// continuation bytes.
    static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var scalars = 0
        for byte in bytes where byte & 0xC0 != 0x80 { scalars += 1 }
        return scalars
    }

    /// A `String` of `bytes`, which the caller has checked to be UTF-8. Up to 15 bytes are written
    /// straight into a small string, which needs no UTF-8 check when they are ASCII (ids, SKUs,
    /// number literals; `String(decoding:)` checked them again, ~170 instructions each); longer or
    /// non-ASCII ones go through `String(decoding:)`, whose repair then changes nothing.
    @inline(__always)
    static func string(ofValidUTF8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        guard count <= 15, let source = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: count) { buffer in
            buffer.baseAddress!.update(from: source, count: count)
            return count
        }
    }
}
