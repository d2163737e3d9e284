/// The first sixteen bytes of a string's contents, read as one vector and compared with the
/// bytes that end a run of plain content (`"`, `\`, control characters below 0x20, as
/// ``JSONStringBytes`` defines them): most personal values and item texts are shorter, so their
/// closing quote is found here, in line at the reader, without the scan's call.
struct StringHead {
    static var count: Int { 16 }

    /// The sixteen bytes as little-endian words (a word's first byte is its lowest).
    let low: UInt64
    let high: UInt64
    /// 0xFF in the lane of each special byte, 0 elsewhere, as the same two words.
    private let markedLow: UInt64
    private let markedHigh: UInt64

    /// The sixteen bytes at `start`, all of which must be readable.
    @inline(__always)
    init(_ start: UnsafePointer<UInt8>) {
        let vector = UnsafeRawPointer(start).loadUnaligned(as: SIMD16<UInt8>.self)
        let marked = unsafeBitCast(JSONStringBytes.specialBytes(vector), to: SIMD2<UInt64>.self)
        let words = unsafeBitCast(vector, to: SIMD2<UInt64>.self)
        (low, high, markedLow, markedHigh) = (words[0], words[1], marked[0], marked[1])
    }

    /// How many bytes come before the first special one, and those bytes as two words with the
    /// rest zeroed; `nil` when none of the sixteen is special.
    @inline(__always)
    var plainPrefix: (count: Int, low: UInt64, high: UInt64)? {
        // A lane is marked 0xFF, so the lowest set bit is the first special byte's lowest, and
        // the bits below it are exactly the bytes before it.
        if markedLow != 0 {
            let before = (markedLow & (0 &- markedLow)) &- 1
            return (markedLow.trailingZeroBitCount &>> 3, low & before, 0)
        }
        guard markedHigh != 0 else { return nil }
        let before = (markedHigh & (0 &- markedHigh)) &- 1
        return (8 &+ markedHigh.trailingZeroBitCount &>> 3, low, high & before)
    }
}
