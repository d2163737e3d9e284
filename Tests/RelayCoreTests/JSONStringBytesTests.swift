@testable import RelayCore
import Testing

/// `JSONStringBytes.firstSpecial` reads sixteen bytes at a time as a vector, then eight as a
/// word (and the last word of a buffer again): it must find exactly the byte a byte-by-byte scan finds, and report non-ASCII exactly
/// for the bytes it passed over, from every start in buffers of every short length.
@Suite struct JSONStringBytesTests {
    /// The scan it replaces: the first `"`, `\` or control character at or after `start`, and
    /// whether a byte before it (from `start`) is not ASCII.
    static func reference(_ bytes: [UInt8], from start: Int) -> (index: Int, sawNonASCII: Bool) {
        var index = start
        var nonASCII = false
        while index < bytes.count, !(bytes[index] < 0x20 || bytes[index] == 0x22 || bytes[index] == 0x5C) {
            if bytes[index] >= 0x80 { nonASCII = true }
            index += 1
        }
        return (index, nonASCII)
    }

    @Test func findsWhatAByteByByteScanFinds() {
        var generator = SystemRandomNumberGenerator()
        // Specials, their neighbours (a borrow from a special must not mark the byte after it),
        // non-ASCII bytes and plain text.
        let alphabet: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x41, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]
        var compared = 0
        var special = 0
        for _ in 0..<6_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let plainRun = Bool.random(using: &generator)
            let bytes = (0..<length).map { _ in
                plainRun && Int.random(in: 0..<8, using: &generator) != 0
                    ? UInt8(ascii: "a") : alphabet.randomElement(using: &generator)!
            }
            for start in 0...length + 1 {
                var bitsSeen: UInt64 = 0
                let found = bytes.withUnsafeBufferPointer {
                    JSONStringBytes.firstSpecial(in: $0, from: start, bitsSeen: &bitsSeen)
                }
                let expected = Self.reference(bytes, from: start)
                #expect(found == (start > length ? start : expected.index), "\(bytes) from \(start)")
                #expect(JSONStringBytes.sawNonASCII(bitsSeen) == expected.sawNonASCII, "\(bytes) from \(start)")
                compared += 1
                if found < length { special += 1 }
            }
        }
        #expect(compared > 100_000)
        #expect(special > 50_000)
    }

    /// Every byte value at every position of a 1- to 17-byte buffer of plain text, and of buffers
    /// of one and two vectors and around them (each lane of both halves of a vector).
    @Test func everyByteValueAtEveryPosition() {
        for length in Array(1...17) + [24, 31, 32, 33] {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    for start in [0, position, max(0, position - 1), min(length - 1, position + 1)] {
                        var bitsSeen: UInt64 = 0
                        let found = bytes.withUnsafeBufferPointer {
                            JSONStringBytes.firstSpecial(in: $0, from: start, bitsSeen: &bitsSeen)
                        }
                        let expected = Self.reference(bytes, from: start)
                        #expect(found == expected.index && JSONStringBytes.sawNonASCII(bitsSeen) == expected.sawNonASCII)
                    }
                }
            }
        }
    }

    /// `containsSpecial` (a vector a turn, the last sixteen bytes read again; two words for 8–15
    /// bytes; byte by byte below): every byte value at every position of buffers of every length
    /// up to three vectors and a half, in plain text and next to a non-ASCII byte, agrees with a
    /// byte-by-byte scan.
    @Test func containsSpecialAgreesWithAByteByByteScan() {
        for length in Array(0...49) + [63, 64, 65] {
            let plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            #expect(!plain.withUnsafeBufferPointer { JSONStringBytes.containsSpecial($0) })
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = plain
                    bytes[position] = UInt8(value)
                    if position + 1 < length { bytes[position + 1] = 0xC3 }
                    let expected = Self.reference(bytes, from: 0).index < length
                    #expect(bytes.withUnsafeBufferPointer { JSONStringBytes.containsSpecial($0) } == expected, "\(value) at \(position) of \(length)")
                }
            }
        }
    }

    /// `string(ofValidUTF8:)` writes up to 15 bytes straight into a small string: every length on
    /// both sides of that boundary, ASCII and not, gives the string `String(decoding:)` gives.
    @Test(arguments: Array(0...17) + [40])
    func stringsOfValidUTF8AreTheDecodedStrings(length: Int) {
        let ascii = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x21 + $0 * 7 % 94))) })
        let mixed = String(("é" + ascii).prefix(max(length - 1, 0)))
        for text in [ascii, mixed] {
            let bytes = Array(text.utf8)
            let made = bytes.withUnsafeBufferPointer { JSONStringBytes.string(ofValidUTF8: $0) }
            #expect(made == text)
            #expect(Array(made.utf8) == bytes)
        }
    }
}

