import Testing

@testable import RelayCore

/// The tape must accept and refuse exactly what the tree parser does (the same error at the same
/// offset), read back the same values, and answer its accessors without decoding what it need not.
@Suite struct JSONTapeTests {
    typealias Outcome = Result<JSONValue, JSONParseError>

    static func bothReadings(_ bytes: [UInt8], maximumBytes: Int = 1 << 20) -> (tape: Outcome, tree: Outcome) {
        (
            Result { () throws(JSONParseError) in try JSONTape(parsing: bytes, maximumBytes: maximumBytes).root.tree },
            Result { () throws(JSONParseError) in try JSONParser(maximumBytes: maximumBytes).parse(bytes) }
        )
    }

    static let documents: [String] = [
        "", " ", "null", "true", "false", "0", "-0", "129.90", "1e999", "01", "-", "1.", "[]", "{}", "[1,]", "[1 2]", "{\"a\"}",
        "{\"a\":}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{1:2}", "[1] [2]", "\"unterminated", "\"a\u{01}\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\ud83d\\ude00\"", "\"\\x\"", "\"\\u00e9\"", "\"é\"", "nul", "tru", "NaN",
        #"{"a":1,"a":2}"#, #"{"a":1,"\u0061":2}"#, #"{"a\"":1,"a\"":2}"#, #"{"a":{"a":1},"b":[{"a":1,"a":1}]}"#,
        #"{"k":"line\nbreak \"q\" \u0001","n":[1.50,true,null],"u":"é","o":{"x":[[],{}]}}"#,
        " { \"a\" : [ 1 , { \"b\" : null } ] , \"c\" : \"d\" } ",
        String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
        String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65),
    ]

    @Test func everyDocumentGetsTheTreesOutcome() {
        for text in Self.documents {
            let readings = Self.bothReadings(Array(text.utf8))
            #expect(readings.tape == readings.tree, "\(text)")
        }
        #expect(Self.bothReadings([0x22, 0xFF, 0x22]).tape == .failure(JSONParseError(reason: .invalidUTF8, offset: 1)))
        let big = Array(repeating: UInt8(ascii: " "), count: 100) + Array("1".utf8)
        let readings = Self.bothReadings(big, maximumBytes: 50)
        #expect(readings.tape == readings.tree)
        #expect(readings.tape == .failure(JSONParseError(reason: .tooLarge, offset: 50)))
    }

    /// Small objects check duplicates by comparing bytes, large ones with a set: both must catch
    /// them, also when one spelling of the key is escaped.
    @Test(arguments: [3, 15, 16, 17, 40])
    func duplicateKeysAreRefusedInObjectsOfAnySize(size: Int) throws {
        let members = (0..<size).map { "\"k\($0)\":\($0)" }
        #expect(throws: Never.self) { try JSONTape(parsing: Array(("{" + members.joined(separator: ",") + "}").utf8)) }
        for duplicate in [0, size - 1] {
            for spelling in ["\"k\(duplicate)\"", "\"\\u006b\(duplicate)\""] {
                let bytes = Array(("{" + (members + ["\(spelling):0"]).joined(separator: ",") + "}").utf8)
                let readings = Self.bothReadings(bytes)
                #expect(readings.tape == readings.tree, "\(spelling) in \(size)")
                guard case .failure(let error) = readings.tape else {
                    Issue.record("\(spelling) accepted as a new key among \(size)")
                    continue
                }
                #expect(error.reason == .duplicateKey)
            }
        }
    }

    /// Random edits of the event corpus (deletions, insertions, replacements, copied pieces that
    /// repeat members and nest values) never make the two readings disagree.
    @Test func mutatedDocumentsGetTheTreesOutcome() throws {
        let corpus = try DirectEventReaderTests.corpus()
        #expect(corpus.count >= 100)
        var random = SplitMix64(seed: 20_261_127)
        var accepted = 0
        var refused = 0
        for file in corpus {
            let unchanged = Self.bothReadings(file.bytes)
            #expect(unchanged.tape == unchanged.tree, "\(file.name)")
            for _ in 0..<200 {
                let bytes = DirectEventReaderTests.mutated(file.bytes, using: &random)
                let readings = Self.bothReadings(bytes)
                #expect(readings.tape == readings.tree, "\(file.name): \(String(decoding: bytes, as: UTF8.self))")
                if case .success = readings.tree { accepted += 1 } else { refused += 1 }
            }
        }
        #expect(accepted > 1_000)
        #expect(refused > 1_000)
    }

    @Test func accessorsReadMembersElementsAndScalars() throws {
        let digest = String(repeating: "0123456789abcdef", count: 4)
        let text = #"{"nested":{"a":[1,{"b":2}],"c":"x"},"list":[true,false,null,"s",2.50],"\u0065scaped":"q\"",""#
            + #"em":""# + digest + #"","upper":""# + digest.uppercased() + #"","short":"abc","t":true}"#
        let tape = try JSONTape(parsing: Array(text.utf8))
        let root = try #require(tape.root.object)
        #expect(root.count == 7)
        #expect(root.keys == ["nested", "list", "escaped", "em", "upper", "short", "t"])
        // A member after a nested container is found (the subtree is skipped whole).
        #expect(root["list"]?.array?.count == 5)
        #expect(root["list"]?.array?.map(\.typeName) == ["boolean", "boolean", "null", "string", "number"])
        #expect(root["nested"]?.object?["c"]?.isString("x") == true)
        #expect(root["nested"]?.object?["a"]?.array?.map(\.tree) == [.number(JSONNumber(literal: "1", double: 1)),
            .object(JSONObject(members: [("b", .number(JSONNumber(literal: "2", double: 2)))]))])
        #expect(root["nested"]?.object?["b"] == nil)  // keys of a nested object are not the outer one's
        #expect(root["missing"] == nil)
        // An escaped key is found by its value; an escaped string compares by its value.
        #expect(root["escaped"]?.string == "q\"")
        #expect(root["escaped"]?.isString("q\"") == true)
        #expect(root["escaped"]?.isString(#"q\""#) == false)
        #expect(root["escaped"]?.stringByteCount == 2)
        #expect(root["escaped"]?.rawBytes.elementsEqual(#"q\""#.utf8) == true)
        #expect(root["em"]?.isLowerHexSHA256 == true)
        #expect(root["upper"]?.isLowerHexSHA256 == false)
        #expect(root["short"]?.isLowerHexSHA256 == false)
        #expect(root["t"]?.isLowerHexSHA256 == false)
        #expect(root["t"]?.bool == true)
        #expect(root["list"]?.array?.first { $0.kind == .number }?.number == JSONNumber(literal: "2.50", double: 2.5))
        #expect(root["short"]?.isString("abcd") == false)
        #expect(root["short"]?.number == nil)
        #expect(tape.root.array == nil)
        // Keys that share a long prefix are told apart by their last byte, in both halves of the
        // eight-byte comparison; a long key repeated exactly is a duplicate.
        let similar = try #require(try JSONTape(parsing: Array(#"{"client_user_agent":1,"client_user_agenT":2,"client_user_Agent":3}"#.utf8)).root.object)
        #expect(similar["client_user_agent"]?.number?.integer == 1)
        #expect(similar["client_user_agenT"]?.number?.integer == 2)
        #expect(similar["client_user_Agent"]?.number?.integer == 3)
        #expect(similar["client_user_agen"] == nil)
        #expect(throws: JSONParseError(reason: .duplicateKey, offset: 23)) {
            try JSONTape(parsing: Array(#"{"client_user_agent":1,"client_user_agent":2}"#.utf8))
        }
        // The raw bytes of a container are the container as written.
        #expect(String(decoding: root["nested"]!.rawBytes, as: UTF8.self) == #"{"a":[1,{"b":2}],"c":"x"}"#)
    }
}
