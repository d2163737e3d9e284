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

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError(reason: .invalidUTF8, offset: 1)) { try JSONParser().parse([0x22, 0xFF, 0x22]) }
    }

    @Test func writerRoundTripsAndEscapes() throws {
        let original = try parse(#"{"k":"line\nbreak \"q\" \u0001","n":[1.50,true,null],"u":"é"}"#)
        var writer = JSONWriter()
        writer.value(original)
        #expect(try JSONParser().parse(writer.bytes) == original)
        #expect(String(decoding: writer.bytes, as: UTF8.self).contains(#"\u0001"#))
    }
}
