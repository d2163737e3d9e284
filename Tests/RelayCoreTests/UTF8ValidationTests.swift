@testable import RelayCore
import Testing

/// The decoder's own UTF-8 check (`JSONStringBytes.isValidUTF8`) must accept exactly what the
/// standard library accepts: the direct reader keeps a value's bytes only when the check passes,
/// and the tree path (whose `String` validation names the error) decides otherwise.
@Suite struct UTF8ValidationTests {
    static func agrees(_ bytes: [UInt8]) -> Bool {
        let ours = bytes.withUnsafeBufferPointer { JSONStringBytes.isValidUTF8($0) }
        return ours == (String(validating: bytes, as: UTF8.self) != nil)
    }

    /// Every one- and two-byte sequence, and every lead byte with every second byte and a set of
    /// third and fourth bytes around the continuation range's edges, after 0 to 9 ASCII bytes
    /// (so the eight-byte ASCII step lands before, on and across the sequence).
    @Test func acceptsExactlyWhatTheStandardLibraryAccepts() {
        let edges: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xF4, 0xFF]
        var disagreements: [[UInt8]] = []
        for first in 0...255 {
            for second in 0...255 {
                let pair = [UInt8(first), UInt8(second)]
                if !Self.agrees(pair) { disagreements.append(pair) }
                guard first >= 0xE0 else { continue }
                for third in edges {
                    if !Self.agrees(pair + [third]) { disagreements.append(pair + [third]) }
                    guard first >= 0xF0 else { continue }
                    for fourth in edges where !Self.agrees(pair + [third, fourth]) {
                        disagreements.append(pair + [third, fourth])
                    }
                }
            }
        }
        let samples: [[UInt8]] = [Array("Zoë".utf8), Array("漢字".utf8), Array("😀".utf8), [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82]]
        for sample in samples {
            for padding in 0...9 {
                let padded = Array(repeating: UInt8(ascii: "a"), count: padding) + sample
                if !Self.agrees(padded) { disagreements.append(padded) }
                if !Self.agrees(padded + Array("tail".utf8)) { disagreements.append(padded) }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}

@Suite struct ISO4217BytesTests {
    @Test func everyCodeIsFoundByItsBytesAndNothingElse() {
        for code in ISO4217.codes {
            #expect(Array(code.utf8).withUnsafeBufferPointer(ISO4217.code) == code)
            let lower = code.lowercased()
            #expect(Array(lower.utf8).withUnsafeBufferPointer(ISO4217.code) == nil)
        }
        for other in ["", "EU", "EURO", "XXX", "AAA", "ZZZ", "ZWL", "€", "@UR", "EU[", "E`R", "eUR"] {
            #expect(Array(other.utf8).withUnsafeBufferPointer(ISO4217.code) == nil, "\(other)")
        }
        // Every three capital letters: found exactly when a code.
        let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z"))
        var found = 0
        for first in letters {
            for second in letters {
                for third in letters {
                    let spelled = String(decoding: [first, second, third], as: UTF8.self)
                    let code = [first, second, third].withUnsafeBufferPointer(ISO4217.code)
                    #expect(code == (ISO4217.codes.contains(spelled) ? spelled : nil), "\(spelled)")
                    if code != nil { found += 1 }
                }
            }
        }
        #expect(found == ISO4217.codes.count)
    }
}
