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
/// Clean text is checked eight bytes at a time with exact, branch-free bit arithmetic ("determine
/// if a word has a byte less than n", Stanford bit-twiddling hacks).
enum JSONStringBytes {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    private static func hasByte(in word: UInt64, below limit: UInt64) -> Bool {
        (word &- ones &* limit) & ~word & highBits != 0
    }

    @inline(__always)
    static func isSpecial(_ word: UInt64) -> Bool {
        hasByte(in: word, below: 0x20) || hasByte(in: word ^ (ones &* 0x22), below: 1)
            || hasByte(in: word ^ (ones &* 0x5C), below: 1)
    }

    @inline(__always)
    static func isSpecial(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The index of the first special byte at or after `start`, or `buffer.count` (or `start` when
    /// that is past the end). `bitsSeen` collects the OR of every byte passed over, so a caller can
    /// tell whether they were all ASCII (`bitsSeen & 0x80 == 0` on every byte lane).
    @inline(__always)
    static func firstSpecial(in buffer: UnsafeBufferPointer<UInt8>, from start: Int, bitsSeen: inout UInt64) -> Int {
        guard let base = buffer.baseAddress, start < buffer.count else { return max(start, buffer.count) }
        var index = start
        while index + 8 <= buffer.count {
            let word = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if isSpecial(word) { break }
            bitsSeen |= word
            index += 8
        }
        while index < buffer.count, !isSpecial(buffer[index]) {
            bitsSeen |= UInt64(buffer[index])
            index += 1
        }
        return index
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
}
