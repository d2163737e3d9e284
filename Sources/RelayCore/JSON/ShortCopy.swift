/// Copies of short byte runs in line. Most copies on the preparation path are at most 64 bytes (a
/// writer's keys and values, a digest's 64 digits, a normalised value into its identifier), and
/// a `memcpy` call of a run-time length costs more than a few overlapping loads and stores.
public enum ShortCopy {
    /// Copies `count` bytes between buffers that do not overlap: up to 64 bytes as two or four
    /// overlapping loads and stores of 16, 8, 4 or 1 bytes, longer runs
    /// through `memcpy`. Every load and store stays within the `count` bytes of either buffer.
    @inlinable @inline(__always)
    public static func copy(_ source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, count: Int) {
        switch count {
        case 65...:
            target.copyMemory(from: source, byteCount: count)
        case 17...:
            let first = source.loadUnaligned(as: SIMD16<UInt8>.self)
            let last = source.loadUnaligned(fromByteOffset: count &- 16, as: SIMD16<UInt8>.self)
            if count > 32 {
                let second = source.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)
                let third = source.loadUnaligned(fromByteOffset: count &- 32, as: SIMD16<UInt8>.self)
                target.storeBytes(of: second, toByteOffset: 16, as: SIMD16<UInt8>.self)
                target.storeBytes(of: third, toByteOffset: count &- 32, as: SIMD16<UInt8>.self)
            }
            target.storeBytes(of: first, as: SIMD16<UInt8>.self)
            target.storeBytes(of: last, toByteOffset: count &- 16, as: SIMD16<UInt8>.self)
        case 8...:
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        case 4...:
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        case 1...:
            // The first, middle and last byte: every byte of one to three (no loop, which the
            // optimizer may turn back into a `memcpy` call).
            let middle = count &>> 1
            let head = source.load(as: UInt8.self)
            let centre = source.load(fromByteOffset: middle, as: UInt8.self)
            let tail = source.load(fromByteOffset: count &- 1, as: UInt8.self)
            target.storeBytes(of: head, as: UInt8.self)
            target.storeBytes(of: centre, toByteOffset: middle, as: UInt8.self)
            target.storeBytes(of: tail, toByteOffset: count &- 1, as: UInt8.self)
        default:
            break
        }
    }
}
