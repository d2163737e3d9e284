#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a byte string in a buffer, for the benchmark sandbox's scan of request bodies
/// (``EventIDScan``): `memchr` jumps to each occurrence of the needle's anchor byte, the one of
/// its bytes that is rarest in the first 4 KiB of the buffer searched (a request's events share
/// their keys, so its start tells), and a candidate's first and last bytes are compared in line
/// before the whole needle is.
///
/// A fixed anchor (the first `_` or upper-case letter) called `memchr` and `memcmp` for each of the
/// ~20 other keys with a `_` in every event (`user_data`, `event_time`, …); comparing sixteen
/// positions at a time on three bytes in Swift's SIMD types took longer still. See
/// benchmarks/HISTORY.md, harness round 5.
struct ByteSearch: Sendable {
    let needle: [UInt8]
    /// The index of the byte `memchr` looks for.
    let anchor: Int

    /// The bytes looked at to choose the anchor.
    static let sampleBytes = 4096

    /// A search for `text` in `buffer`, anchored on the byte of `text` rarest in its first
    /// ``sampleBytes`` from `start` (the first such byte on a tie).
    init(_ text: String, sampling buffer: UnsafeBufferPointer<UInt8>, from start: Int = 0) {
        needle = Array(text.utf8)
        var counts = [Int](repeating: 0, count: 256)
        let from = min(max(start, 0), buffer.count)
        for byte in buffer[from..<min(buffer.count, from + Self.sampleBytes)] { counts[Int(byte)] += 1 }
        var rarest = 0
        for index in needle.indices where counts[Int(needle[index])] < counts[Int(needle[rarest])] { rarest = index }
        anchor = rarest
    }

    /// A search anchored on `needle[anchor]`, whatever the buffer (tests pin each anchor).
    init(_ text: String, anchor: Int) {
        needle = Array(text.utf8)
        self.anchor = min(max(anchor, 0), max(needle.count - 1, 0))
    }

    /// The offset of the first occurrence of the needle in `buffer` at or after `start`.
    func firstOffset(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let count = needle.count, size = buffer.count, anchor = anchor
        guard let base = buffer.baseAddress, count > 0, start >= 0, size - start >= count else { return nil }
        return needle.withUnsafeBufferPointer { pattern -> Int? in
            let pattern = pattern.baseAddress!
            let anchorByte = Int32(pattern[anchor]), first = pattern[0], last = pattern[count - 1]
            var position = start + anchor
            // While the needle's bytes from the anchor on still fit.
            while size - position >= count - anchor {
                guard let hit = memchr(base + position, anchorByte, size - position) else { return nil }
                let candidate = UnsafeRawPointer(hit) - UnsafeRawPointer(base) - anchor
                guard size - candidate >= count else { return nil }
                if base[candidate] == first, base[candidate + count - 1] == last, memcmp(base + candidate, pattern, count) == 0 {
                    return candidate
                }
                position = candidate + anchor + 1
            }
            return nil
        }
    }
}
