import RelayCore
import Testing

/// The fragment methods (what the encoders write with) give the bytes the structural methods
/// give for the same document: escaping, numbers, and containers whose members are all optional,
/// with none, one or several members present, from a buffer that has to grow.
@Suite struct JSONWriterFragmentTests {
    /// One document with an optional-members object (`present` says which of three members it
    /// holds) and an array of `elements` strings, written both ways.
    static func document(present: [Bool], elements: [String], integer: Int64) -> (fragments: [UInt8], structural: [UInt8]) {
        let members: [(StaticString, StaticString, String)] = [
            (#","a":""#, "a", "plain"), (#","b":""#, "b", "quote \" backslash \\ newline \n tab \t \u{1} é"), (#","c":""#, "c", ""),
        ]
        var fragments = JSONWriter(reservingCapacity: 8)
        fragments.fragment(#"{"id":"#)
        fragments.integerLiteral(integer)
        fragments.fragment(#","number":"#)
        fragments.numberLiteral(JSONNumber(literal: "-12.50e3", double: -12_500))
        fragments.fragment(#","code":""#)
        fragments.unescapedStringContents("EUR")
        fragments.fragment(#"","optional":"#)
        let optional = fragments.beginMembers()
        for (index, (fragment, _, value)) in members.enumerated() where present[index] {
            fragments.fragment(fragment)
            fragments.stringContents(value)
            fragments.fragment("\"")
        }
        fragments.endMembers(optional, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
        fragments.fragment(#","list":"#)
        let list = fragments.beginMembers()
        for element in elements {
            fragments.fragment(#",""#)
            fragments.stringContents(element)
            fragments.fragment("\"")
        }
        fragments.endMembers(list, open: UInt8(ascii: "["), close: UInt8(ascii: "]"))
        fragments.fragment(Array(#","digest":""#.utf8))
        fragments.unescapedStringContents(count: 4) { target in
            for offset in 0..<4 { target[offset] = UInt8(ascii: "a") + UInt8(offset) }
        }
        fragments.fragment("\"}")

        var structural = JSONWriter(reservingCapacity: 8)
        structural.beginObject()
        structural.key("id"); structural.integer(integer)
        structural.key("number"); structural.number(JSONNumber(literal: "-12.50e3", double: -12_500))
        structural.key("code"); structural.string("EUR")
        structural.key("optional")
        structural.beginObject()
        for (index, (_, key, value)) in members.enumerated() where present[index] {
            structural.key(key); structural.string(value)
        }
        structural.endObject()
        structural.key("list")
        structural.beginArray()
        for element in elements { structural.string(element) }
        structural.endArray()
        structural.key("digest"); structural.string("abcd")
        structural.endObject()
        return (fragments.bytes, structural.bytes)
    }

    @Test(arguments: 0..<8)
    func fragmentsWriteWhatTheStructuralCallsWrite(_ mask: Int) throws {
        let present = (0..<3).map { mask & (1 << $0) != 0 }
        for elements in [[], ["one"], ["one", "two \"2\"", String(repeating: "long ", count: 20)]] {
            for integer: Int64 in [0, 7, -42, .max, .min] {
                let (fragments, structural) = Self.document(present: present, elements: elements, integer: integer)
                #expect(String(decoding: fragments, as: UTF8.self) == String(decoding: structural, as: UTF8.self))
                _ = try JSONParser().parse(fragments)
            }
        }
    }

    /// A fragment of every length up to 40 bytes (each copy path: byte by byte, 4-, 8-byte words,
    /// `memcpy`), appended to a buffer that starts small and has to grow: the bytes in order.
    @Test func fragmentsOfEveryLengthAppendTheirBytes() {
        let source = (0..<40).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        var writer = JSONWriter(reservingCapacity: 8)
        var expected: [UInt8] = []
        for length in 0...40 {
            source.prefix(length).withContiguousStorageIfAvailable { writer.fragment($0) }
            writer.fragment(Array(source.prefix(length).reversed()))
            writer.fragment(",")
            writer.fragment(#"","event_id":""#)
            expected += source.prefix(length) + source.prefix(length).reversed() + Array(#",","event_id":""#.utf8)
        }
        #expect(writer.count == expected.count)
        #expect(writer.bytes == expected)
    }

    /// Three pieces joined by `fragments` (one reserve) are the bytes of three `fragment` calls,
    /// for bodies of every length up to 70 (each copy path), into a buffer that has to grow.
    @Test func joinedFragmentsAppendTheirPieces() {
        let body = (0..<70).map { UInt8(ascii: "0") + UInt8($0 % 10) }
        var joined = JSONWriter(reservingCapacity: 8)
        var separate = JSONWriter(reservingCapacity: 8)
        for length in 0...70 {
            body.withUnsafeBufferPointer { body in
                joined.fragments(#","external_id":[""#, body.baseAddress!, count: length, #""]"#)
                separate.fragment(#","external_id":[""#)
                separate.fragment(UnsafeBufferPointer(rebasing: body[..<length]))
                separate.fragment(#""]"#)
                joined.fragments("", body.baseAddress!, count: length, "}")
                separate.fragment(UnsafeBufferPointer(rebasing: body[..<length]))
                separate.fragment("}")
            }
        }
        #expect(joined.bytes == separate.bytes)
    }

    /// `needsNoEscaping` agrees with a byte-by-byte check of RFC 8259's escapes, at every position
    /// of short and long texts.
    @Test func needsNoEscapingFindsEveryByteToEscape() {
        for length in [0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 36, 70] {
            let plain = [UInt8](repeating: UInt8(ascii: "x"), count: length)
            #expect(plain.withUnsafeBufferPointer { JSONWriter.needsNoEscaping($0) })
            for position in 0..<length {
                for special: UInt8 in [0x00, 0x01, 0x0A, 0x1F, UInt8(ascii: "\""), UInt8(ascii: "\\")] {
                    var text = plain
                    text[position] = special
                    #expect(!text.withUnsafeBufferPointer { JSONWriter.needsNoEscaping($0) }, "\(special) at \(position) of \(length)")
                }
                var text = plain
                text[position] = 0xC3  // a non-ASCII byte needs no escape
                #expect(text.withUnsafeBufferPointer { JSONWriter.needsNoEscaping($0) })
            }
        }
        // Every byte that needs no escape, next to every other (the borrows of the word-wide
        // test must not mark a lane), at every alignment.
        let plainBytes = (UInt8(0x20)...UInt8(0xFF)).filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        for shift in 0..<plainBytes.count {
            let text = Array(plainBytes[shift...] + plainBytes[..<shift])
            for length in [1, 7, 8, 9, 15, 16, 17, 23] {
                #expect(text.prefix(length).withContiguousStorageIfAvailable { JSONWriter.needsNoEscaping($0) } == true)
            }
        }
        #expect(JSONWriter.needsNoEscaping("ORD-1001"))
        #expect(!JSONWriter.needsNoEscaping("ORD \"1001\""))
    }

    /// `fragments(padded:…)` stores its head's whole padded entry and writes the body over what
    /// follows the head: every head length the entry holds, with bodies shorter and longer than
    /// the padding, comes out as head, body and tail joined, and what follows is not disturbed.
    @Test func paddedFragmentsWriteTheHeadAlone() {
        let width = JSONWriter.paddedHeadReadable
        for headCount in 0..<width {
            // The head's bytes, then padding that must never reach the output.
            let entry = (0..<width).map { $0 < headCount ? UInt8(ascii: "h") : UInt8(ascii: "#") }
            for bodyCount in [0, 1, 5, 23, 24, 64] {
                let body = [UInt8](repeating: UInt8(ascii: "b"), count: bodyCount)
                var writer = JSONWriter(reservingCapacity: 8)
                writer.fragment("<")
                entry.withUnsafeBufferPointer { head in
                    body.withUnsafeBufferPointer { digits in
                        writer.fragments(
                            padded: head.baseAddress!, count: headCount, digits.baseAddress ?? head.baseAddress!, count: bodyCount, #""]"#)
                    }
                }
                writer.fragment(">")
                let expected = "<" + String(repeating: "h", count: headCount) + String(repeating: "b", count: bodyCount) + #""]>"#
                #expect(String(decoding: writer.bytes, as: UTF8.self) == expected, "head \(headCount), body \(bodyCount)")
            }
        }
    }

    /// Text held in line (`ShortText`) is written as its bytes, whatever follows it (the store
    /// of all its storage writes past them): every length up to and over its capacity, and the
    /// decimal digits of integers as `integerLiteral` writes them.
    @Test func shortTextIsWrittenAsItsBytes() {
        for length in 0...(ShortText.capacity + 2) {
            let text = String((0..<length).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8($0 % 26))) })
            guard let held = ShortText(text) else {
                #expect(length > ShortText.capacity)
                continue
            }
            #expect(length <= ShortText.capacity)
            #expect(held.bytes == Array(text.utf8))
            var writer = JSONWriter(reservingCapacity: 8)
            writer.fragment("<")
            writer.fragment(held)
            writer.fragment(">")
            writer.fragment(held)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "<\(text)>\(text)")
        }
        var values: [Int64] = [0, 7, -7, 42, .max, .min, 1_796_000_000]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, -power, -power - 1]
        }
        for value in values {
            let digits = ShortText(decimal: value)
            var writer = JSONWriter(reservingCapacity: 8)
            writer.fragment(digits)
            writer.fragment(",")
            writer.integerLiteral(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "\(value),\(value)")
        }
    }

    /// Integers as the standard library prints them: zero, each power of ten and its neighbours,
    /// negative ones, and both ends of `Int64`, as literals and as values in containers.
    @Test func integersAreWrittenInDecimal() {
        var values: [Int64] = [0, 1, -1, 9, -9, .max, .min, .max - 1, .min + 1, 1_796_000_000]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power + 1, -power, -power - 1]
        }
        for value in values {
            var literal = JSONWriter(reservingCapacity: 8)
            literal.fragment("<")
            literal.integerLiteral(value)
            literal.fragment(">")
            #expect(String(decoding: literal.bytes, as: UTF8.self) == "<\(value)>")
            var structural = JSONWriter(reservingCapacity: 8)
            structural.beginArray()
            structural.integer(value)
            structural.integer(value)
            structural.endArray()
            #expect(String(decoding: structural.bytes, as: UTF8.self) == "[\(value),\(value)]")
        }
    }

    /// A timestamp formatted in place is ``RFC3339/format(epochSeconds:)``'s text: both ends of
    /// years 0–9999, leap days, instants before 1970, and years outside that range (the padded
    /// form), after other bytes in a buffer that has to grow.
    @Test func timestampsAreWrittenAsFormatted() {
        let instants: [Int64] = [
            0, -1, 1, 86_399, 86_400, 951_782_400, 951_868_799, 1_795_688_130, 1_709_251_199,
            -62_167_219_200, -62_167_219_201, 253_402_300_799, 253_402_300_800, -12_212_553_600, .max / 2, .min / 2,
        ]
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2_000).map { _ in Int64.random(in: -62_167_219_200...253_402_300_799, using: &generator) }
        for seconds in instants + random {
            var writer = JSONWriter(reservingCapacity: 8)
            writer.fragment("<")
            writer.timestampContents(epochSeconds: seconds)
            writer.fragment(">")
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "<\(RFC3339.format(epochSeconds: seconds))>", "epoch seconds \(seconds)")
        }
    }

    /// A short value's 16 bytes are written as its contents exactly when none of its first
    /// `count` needs escaping (a quote, a backslash or a control character at any place within
    /// them; any byte past them does not count); else nothing is written.
    @Test func shortContentsAreWrittenWholeUnlessTheyNeedEscaping() {
        let plain = Array("abcdefghijklmnop".utf8)
        for count in 0...16 {
            for place in 0..<16 {
                for byte: UInt8 in [0x00, 0x1F, 0x22, 0x5C, 0x20, 0x7F, 0xC3, 0x61] {
                    var bytes = plain
                    bytes[place] = byte
                    let special = place < count && (byte < 0x20 || byte == 0x22 || byte == 0x5C)
                    var writer = JSONWriter(reservingCapacity: 4)
                    writer.fragment("<")
                    let wrote = writer.unescapedContents(SIMD16<UInt8>(bytes), count: count)
                    writer.fragment(">")
                    #expect(wrote == !special, "count \(count), byte \(byte) at \(place)")
                    #expect(writer.bytes == [UInt8(ascii: "<")] + (special ? [] : bytes[0..<count]) + [UInt8(ascii: ">")])
                }
            }
        }
    }
}
