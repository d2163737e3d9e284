import RelayCore
import Testing

@Suite struct ShortCopyTests {
    /// Every length from 0 to 100 (each path: nothing, bytes, 4-, 8-byte words, two and four
    /// 16-byte vectors, `memcpy`), from and to every offset 0–7 of a buffer: the `count` bytes
    /// arrive in order and no byte around them in the target changes.
    @Test func copiesExactlyTheBytesAtEveryLengthAndOffset() {
        let source = (0..<120).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for count in 0...100 {
            for sourceOffset in 0..<8 {
                for targetOffset in [0, 3, 8] {
                    var target = [UInt8](repeating: 0xEE, count: 120)
                    source.withUnsafeBytes { from in
                        target.withUnsafeMutableBytes { to in
                            ShortCopy.copy(from.baseAddress! + sourceOffset, to: to.baseAddress! + targetOffset, count: count)
                        }
                    }
                    var expected = [UInt8](repeating: 0xEE, count: 120)
                    expected.replaceSubrange(targetOffset..<(targetOffset + count), with: source[sourceOffset..<(sourceOffset + count)])
                    #expect(target == expected, "count \(count), from \(sourceOffset), to \(targetOffset)")
                }
            }
        }
    }
}
