#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a byte string in a buffer sixteen candidate positions at a time, for the benchmark
/// sandbox's scan of request bodies (``EventIDScan``): three of the needle's bytes (its first, its
/// rarest-looking one, ``anchor(of:)``, and its last) are compared with three 16-byte loads at
/// once, and only a position where all three agree is compared whole.
///
/// Finding each candidate with `memchr` instead called it, and `memcmp`, for every occurrence of
/// the anchor: a quoted `"event_id"`'s `_` is in ~20 other keys of each event (`user_data`,
/// `event_time`, …). See benchmarks/HISTORY.md, harness round 5.
struct ByteSearch: Sendable {
    let needle: [UInt8]
    /// The index of the middle byte compared.
    let anchor: Int

    init(_ text: String) {
        needle = Array(text.utf8)
        anchor = Self.anchor(of: needle)
    }

    /// The offset of the first occurrence of the needle in `buffer` at or after `start`.
    func firstOffset(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let count = needle.count, size = buffer.count
        guard let base = buffer.baseAddress, count > 0, start >= 0, size - start >= count else { return nil }
        let anchor = anchor
        return needle.withUnsafeBufferPointer { pattern -> Int? in
            let pattern = pattern.baseAddress!
            let raw = UnsafeRawPointer(base)
            let first = SIMD16<UInt8>(repeating: pattern[0])
            let middle = SIMD16<UInt8>(repeating: pattern[anchor])
            let last = SIMD16<UInt8>(repeating: pattern[count - 1])
            var position = start
            // Sixteen starting positions at once while the load of their last bytes stays inside
            // the buffer (position + count - 1 + 16 <= size).
            while size - position >= count + 15 {
                let candidates =
                    (raw.loadUnaligned(fromByteOffset: position, as: SIMD16<UInt8>.self) .== first)
                    .& (raw.loadUnaligned(fromByteOffset: position + anchor, as: SIMD16<UInt8>.self) .== middle)
                    .& (raw.loadUnaligned(fromByteOffset: position + count - 1, as: SIMD16<UInt8>.self) .== last)
                if any(candidates) {
                    for lane in 0..<16 where candidates[lane] && memcmp(base + position + lane, pattern, count) == 0 {
                        return position + lane
                    }
                }
                position += 16
            }
            // The last positions, one at a time.
            while size - position >= count {
                if base[position] == pattern[0], memcmp(base + position, pattern, count) == 0 { return position }
                position += 1
            }
            return nil
        }
    }

    /// The index of the byte compared in the middle: punctuation other than JSON's own (`_`, `=`),
    /// else an upper-case letter, else the second byte (after a key's opening quote). Hex digests,
    /// most of a request's bytes, hold none of these.
    static func anchor(of needle: [UInt8]) -> Int {
        func isWord(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isCommon(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "\"") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ")
        }
        if let index = needle.firstIndex(where: { !isWord($0) && !isCommon($0) && $0 >= 0x21 && $0 < 0x7F }) { return index }
        if let index = needle.firstIndex(where: { (0x41...0x5A).contains($0) }) { return index }
        return min(1, max(needle.count - 1, 0))
    }
}
