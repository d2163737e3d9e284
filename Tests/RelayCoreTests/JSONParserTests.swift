import RelayCore
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser().parse(Array(text.utf8))
    }

    @Test func keepsNumberLiteralsExactly() throws {
        guard case .array(let values) = try parse("[129.90, -0, 1e3, 2.50E-1]") else {
            Issue.record("not an array")
            return
        }
        #expect(values.map { if case .number(let n) = $0 { n.literal } else { "" } } == ["129.90", "-0", "1e3", "2.50E-1"])
    }

    /// Short decimals are converted without strtod (digits / 10^n, Clinger's fast path); every
    /// literal, short or long, must give the Double that `Double(String)` gives, bit for bit.
    @Test func numbersAreTheDoublesStrtodGives() throws {
        var random = SplitMix64(seed: 4_711)
        func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(random.next(below: 10))) }) }
        var literals = ["0", "-0", "0.1", "0.3", "129.90", "9.95", "999999999999999", "0.000000000000001", "1.7976931348623157",
                        "9007199254740993", "1234567890.12345", "0.1e1", "-5E-3"]
        for _ in 0..<20_000 {
            let whole = random.next(below: 3) == 0 ? "0" : String(1 + random.next(below: 9)) + digits(random.next(below: 12))
            let fraction = random.next(below: 4) == 0 ? "" : "." + digits(1 + random.next(below: 12))
            literals.append((random.next(below: 5) == 0 ? "-" : "") + whole + fraction)
        }
        for literal in literals {
            guard case .number(let number) = try parse(literal) else {
                Issue.record("\(literal) is not a number")
                continue
            }
            #expect(number.literal == literal)
            #expect(number.double.bitPattern == Double(literal)!.bitPattern, "\(literal)")
        }
    }

    /// Small objects check duplicates by scanning, large ones with a set: both must catch them.
    @Test(arguments: [3, 15, 16, 17, 40])
    func duplicateKeysAreRejectedInObjectsOfAnySize(size: Int) throws {
        let members = (0..<size).map { "\"k\($0)\":\($0)" }
        #expect(throws: Never.self) { try parse("{" + members.joined(separator: ",") + "}") }
        for duplicate in [0, size - 1] {
            let text = "{" + (members + ["\"k\(duplicate)\":0"]).joined(separator: ",") + "}"
            do {
                _ = try parse(text)
                Issue.record("duplicate k\(duplicate) in \(size) members accepted")
            } catch {
                #expect(error.reason == .duplicateKey)
            }
        }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\né😀"))
    }

    @Test(arguments: [
        ("{\"a\":1,\"a\":2}", JSONParseError.Reason.duplicateKey),
        ("[1,]", .unexpectedCharacter),
        ("01", .trailingContent),
        ("\"\\ud800\"", .loneSurrogate),
        ("\"\\udc00\"", .loneSurrogate),
        ("1e999", .numberOutOfRange),
        ("NaN", .unexpectedCharacter),
        ("\"a\u{01}\"", .controlCharacterInString),
        ("", .emptyDocument),
        ("[1] [2]", .trailingContent),
    ])
    func rejectsWhatRFC8259Rejects(text: String, reason: JSONParseError.Reason) {
        #expect(throws: JSONParseError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.reason == reason)
        }
    }

    @Test func boundsDepthAndSize() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(reason: .tooDeep, offset: 64)) { try parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? parse(ok)) != nil)
        let big = Array(repeating: UInt8(ascii: " "), count: 100) + Array("1".utf8)
        #expect(throws: JSONParseError.self) { try JSONParser(maximumBytes: 50).parse(big) }
    }

    @Test func rejectsInvalidUTF8() throws {
        #expect(throws: JSONParseError(reason: .invalidUTF8, offset: 1)) { try JSONParser().parse([0x22, 0xFF, 0x22]) }
        // A four-byte sequence cut after three bytes becomes one U+FFFD (three bytes) when
        // repaired: the repaired text is as long as the input, and only its bytes differ.
        #expect(throws: JSONParseError(reason: .invalidUTF8, offset: 1)) {
            try JSONParser().parse([0x22, 0xF0, 0x9F, 0x98, 0x41, 0x22])
        }
        // U+FFFD itself, and other non-ASCII text, is valid.
        #expect(try JSONParser().parse([0x22, 0xEF, 0xBF, 0xBD, 0x41, 0x22]) == .string("\u{FFFD}A"))
        #expect(try JSONParser().parse(Array("\"Zoë 日本 😀\"".utf8)) == .string("Zoë 日本 😀"))
    }

    @Test func writerRoundTripsAndEscapes() throws {
        let original = try parse(#"{"k":"line\nbreak \"q\" \u0001","n":[1.50,true,null],"u":"é"}"#)
        var writer = JSONWriter()
        writer.value(original)
        #expect(try JSONParser().parse(writer.bytes) == original)
        #expect(String(decoding: writer.bytes, as: UTF8.self).contains(#"\u0001"#))
    }

    /// Contiguous bytes are parsed in place, anything else through a copy: the same value, or
    /// the same error at the same offset, either way.
    @Test(arguments: [#"{"a":[1,2.50,"x"]}"#, #"{"a":1,"a":2}"#, "[1,]", "\"unterminated", "  7  ", "{} x"])
    func contiguousAndOtherCollectionsParseAlike(_ text: String) {
        func outcome(_ parse: () throws(JSONParseError) -> JSONValue) -> Result<JSONValue, JSONParseError> {
            Result { () throws(JSONParseError) in try parse() }
        }
        let bytes = Array(text.utf8)
        let inPlace = outcome { () throws(JSONParseError) in try JSONParser().parse(bytes) }
        let copied = outcome { () throws(JSONParseError) in try JSONParser().parse(bytes.lazy.map { $0 }) }
        #expect(inPlace == copied)
    }

    /// Keys and strings of every length around the writer's in-line copies (up to 16 bytes as
    /// two overlapping loads and stores, longer through `copyMemory`) come out byte for byte,
    /// including the run after an escape.
    @Test func writerCopiesEveryLengthExactly() {
        for length in 0...40 {
            let text = String(decoding: (0..<length).map { UInt8(ascii: "a") + UInt8(($0 * 7 + length) % 26) }, as: UTF8.self)
            var writer = JSONWriter(reservingCapacity: 8)
            writer.beginObject()
            writer.key(dynamic: text)
            writer.beginArray()
            writer.unescapedString(text)
            writer.string(text + "\"" + text)
            writer.endArray()
            writer.endObject()
            let quoted = "\"\(text)\""
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "{\(quoted):[\(quoted),\"\(text)\\\"\(text)\"]}", "length \(length)")
        }
    }

    /// Strings with nothing to escape come out of `unescapedString` byte for byte as `string`
    /// writes them, commas included, whatever the length and however the storage grows.
    @Test func unescapedStringsMatchTheEscapingPath() throws {
        let alphabet = Array(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~".utf8)
        var generator = SystemRandomNumberGenerator()
        let digest = "836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f"
        let values = [digest, "", "US", "94105"]
            + (0..<300).map { _ in
                String(decoding: (0..<Int.random(in: 0...90, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            }
        var fast = JSONWriter(reservingCapacity: 8)
        var reference = JSONWriter(reservingCapacity: 8)
        fast.beginObject()
        reference.beginObject()
        fast.key("values"); fast.beginArray()
        reference.key("values"); reference.beginArray()
        for (index, value) in values.enumerated() {
            fast.beginArray(); fast.unescapedString(value); fast.unescapedString(value); fast.endArray()
            reference.beginArray(); reference.string(value); reference.string(value); reference.endArray()
            #expect(fast.bytes == reference.bytes, "value \(index)")
        }
        fast.endArray(); fast.endObject()
        reference.endArray(); reference.endObject()
        #expect(fast.bytes == reference.bytes)
        let parsed = try JSONParser().parse(fast.bytes)
        #expect(parsed == .object(JSONObject(members: [("values", .array(values.map { .array([.string($0), .string($0)]) }))])))
    }

    /// The writer checks eight bytes at a time for characters to escape; every ASCII character at
    /// every position of strings around that word size must come out exactly as a byte-by-byte
    /// escaper writes it, and parse back to the original.
    @Test func writerEscapesEveryASCIICharacterAtEveryPosition() throws {
        func reference(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u00" + String(repeating: "0", count: 2 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        for length in 1...19 {
            for position in 0..<length {
                for code in 0..<0x80 {
                    var scalars = Array(repeating: Unicode.Scalar("a"), count: length)
                    scalars[position] = Unicode.Scalar(UInt8(code))
                    let text = String(String.UnicodeScalarView(scalars))
                    // A small initial capacity also exercises growth in the middle of a string.
                    var writer = JSONWriter(reservingCapacity: 8)
                    writer.string(text)
                    #expect(String(decoding: writer.bytes, as: UTF8.self) == reference(text), "code \(code) at \(position) of \(length)")
                    #expect(try JSONParser().parse(writer.bytes) == .string(text))
                }
            }
        }
        // Many escapes in a row, multi-byte scalars and growth far past the reserved size.
        let mixed = String(repeating: "\u{1}\"é\\\n漢😀", count: 200)
        var writer = JSONWriter(reservingCapacity: 8)
        writer.beginArray()
        writer.string(mixed)
        writer.integer(-9_223_372_036_854_775_807)
        writer.integer(0)
        writer.endArray()
        #expect(try JSONParser().parse(writer.bytes) == .array([.string(mixed), .number(JSONNumber(literal: "-9223372036854775807", double: -9.223372036854775808e18)), .number(JSONNumber(literal: "0", double: 0))]))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[" + reference(mixed) + ",-9223372036854775807,0]")
    }
}
