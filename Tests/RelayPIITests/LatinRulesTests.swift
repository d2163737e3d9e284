import RelayCore
@testable import RelayPII
import Testing

/// The Latin-script fast paths must give exactly what the general (Unicode) rules give, for every
/// input they accept (every ASCII byte, every scalar of the handled Latin ranges, alone and inside
/// words and addresses): the same value, or a failure for the same inputs.
@Suite struct LatinRulesTests {
    static let inputs: [String] = {
        var inputs = [
            "jane.doe@example.com", "Jane.Doe+Shop@Gmail.com", "J.A.N.E@googlemail.com", "+tag@gmail.com", ".@gmail.com",
            "a@b", "a@.b", "a@b.", "@b.c", "a@@b.c", "a b@c.d", "a\tb@c.d", "no-at-sign", "a@b.c@d.e", "A@B.C",
            "O'Brien", "Mary-Jane", "van der Berg", "  x  ", "...", "J. R. R.", "Smith3rd", "\u{01}name\u{7F}", "!!!",
            "San Francisco", "New-York 10001", "St. Louis", "", " ", "a\u{0B}b", "#hash", "(x)", "x_y", "~tilde~",
        ]
        // Every printable ASCII byte and the controls, alone and inside a word and an address.
        for byte in UInt8(0)..<0x80 {
            let character = String(decoding: [byte], as: UTF8.self)
            inputs += [character, "ab\(character)cd", "ab\(character)cd@example.com", "ab@ex\(character)ample.com"]
        }
        // Every scalar of the Latin ranges (and their neighbours, which take the general path).
        for range in LatinScalars.ranges {
            for value in (range.lowerBound - 2)..<(range.upperBound + 2) {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let character = String(Character(scalar))
                inputs += [character, "Ab\(character)Cd", "ab\(character)cd@Example.com", "ab@ex\(character)ample.com", "\(character)@gmail.com"]
            }
        }
        inputs += [
            "Zoë", "François", "Łukasz", "Siobhán", "Ødegård", "Núñez", "Jürgen", "STRAẞE", "İstanbul", "Île-de-France",
            "zoë.müller+shop@Gmail.com", "ÉLODIE@EXAMPLE.FR", "ø@ø.dk", "a ö@b.c", "Zoë\u{301}", "e\u{301}@x.y",
        ]
        return inputs
    }()

    /// ASCII input never takes the general path.
    static func isASCII(_ input: String) -> Bool { input.utf8.allSatisfy { $0 < 0x80 } }

    /// `value:<v>`, `failure`, or `general` (the fast path declined).
    func outcome(_ body: () throws -> String?) -> String {
        do {
            guard let value = try body() else { return "general" }
            return value.isEmpty ? "failure" : "value:" + value
        } catch {
            return "failure"
        }
    }

    @Test func emailFastPathMatchesTheGeneralRule() {
        for input in Self.inputs {
            for google in [false, true] {
                let fast = outcome { try LatinRules.email(input, google: google) }
                let general = outcome { try IdentityNormalizer.unicodeEmail(input, for: google ? .google : .meta) }
                #expect(fast == general || fast == "general" && !Self.isASCII(input), "email \(Array(input.utf8)) google=\(google)")
            }
        }
    }

    /// The rules that copy visible ASCII eight bytes at a time (email, TikTok's lower-cased
    /// without whitespace): every ASCII byte, a Latin letter and a malformed byte at every offset
    /// of a value long enough for several words, so each lands in every lane of a word, at a
    /// word's end and in the byte-by-byte tail.
    @Test func wordAtATimeRunsMatchTheGeneralRules() {
        let base = Array("Jane.Doe-Shop+Tag_99@Example.COM".utf8)
        var specials: [[UInt8]] = (UInt8(0)..<0x80).map { [$0] }
        specials += [Array("é".utf8), Array("Ø".utf8), [0xFF], [0xC3], Array("\u{A0}".utf8)]
        var compared = 0
        for special in specials {
            for offset in 0...base.count {
                var bytes = base
                bytes.insert(contentsOf: special, at: offset)
                let input = String(decoding: bytes, as: UTF8.self)
                for google in [false, true] {
                    let fast = outcome { try LatinRules.email(input, google: google) }
                    let general = outcome { try IdentityNormalizer.unicodeEmail(input, for: google ? .google : .meta) }
                    #expect(fast == general || fast == "general" && !Self.isASCII(input), "email \(bytes) google=\(google)")
                }
                let fast = outcome { LatinRules.lowercasedWithoutWhitespace(input) }
                #expect(
                    fast == outcome { IdentityNormalizer.unicodeLowercasedWithoutWhitespace(input) } || fast == "general" && !Self.isASCII(input),
                    "lowercased \(bytes)")
                compared += 1
            }
        }
        #expect(compared == 133 * 33)
    }

    @Test func nameAndLettersFastPathsMatchTheGeneralRules() {
        for input in Self.inputs {
            let name = outcome { LatinRules.name(input) }
            #expect(name == outcome { try IdentityNormalizer.unicodeName(input) } || name == "general" && !Self.isASCII(input), "name \(Array(input.utf8))")
            let letters = outcome { LatinRules.lettersOnly(input) }
            #expect(
                letters == outcome { try IdentityNormalizer.unicodeLettersOnly(input, what: "city") } || letters == "general" && !Self.isASCII(input),
                "letters \(Array(input.utf8))")
        }
    }

    /// TikTok's name and postal code rule.
    @Test func lowercasedWithoutWhitespaceFastPathMatchesTheGeneralRule() throws {
        for input in Self.inputs {
            let fast = outcome { LatinRules.lowercasedWithoutWhitespace(input) }
            #expect(
                fast == outcome { IdentityNormalizer.unicodeLowercasedWithoutWhitespace(input) } || fast == "general" && !Self.isASCII(input),
                "lowercased without whitespace \(Array(input.utf8))")
        }
        #expect(LatinRules.lowercasedWithoutWhitespace("Zoë Ann\tMÜLLER") == "zoëannmüller")
        #expect(try IdentityNormalizer.tiktokPostalCode(" SW1A 1AA ") == "sw1a1aa")
        #expect(throws: NormalizationError.self) { try IdentityNormalizer.tiktokPostalCode("12345 67890 12345 67") }
    }

    /// The Latin-script lower-casing (states, subdivision codes) gives `String.lowercased()` for
    /// every input it accepts, and accepts every ASCII input.
    @Test func lowercasedFastPathMatchesTheGeneralLowercasing() throws {
        for input in Self.inputs {
            if let fast = LatinRules.lowercased(input) {
                #expect(fast == input.lowercased(), "lowercased \(Array(input.utf8))")
            } else {
                #expect(!Self.isASCII(input), "declined \(Array(input.utf8))")
            }
        }
        #expect(LatinRules.lowercased("Île-de-FRANCE") == "île-de-france")
        #expect(LatinRules.lowercased("東京") == nil)
        #expect(LatinRules.lowercased("Greater MANCHESTER") == "greater manchester")
        #expect(try IdentityNormalizer.state(" Texas ", country: nil) == "tx")
        #expect(throws: NormalizationError.self) { try IdentityNormalizer.subdivisionCode("England", country: CountryTable.lookup("GB")) }
        #expect(try IdentityNormalizer.subdivisionCode("Zh", country: CountryTable.lookup("CN")) == "zh")
    }

    /// Google's name rule skips splitting a name without whitespace: every scalar that is
    /// whitespace starts with a byte `mayHoldWhitespace` looks for.
    @Test func whitespaceScalarsAreFoundByTheirFirstByte() {
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.properties.isWhitespace || Character(scalar).isWhitespace else { continue }
            #expect(mayHoldWhitespace("ab\(Character(scalar))cd"), "U+\(String(value, radix: 16))")
        }
        #expect(!mayHoldWhitespace("zoë-müller"))
    }

    @Test func latinLettersTakeTheFastPathAndOtherScriptsTheGeneralOne() throws {
        #expect(LatinRules.name("Zoë O'Brien") == "zoë obrien")
        #expect(try LatinRules.email("ZOË@Example.com", google: false) == "zoë@example.com")
        #expect(LatinRules.lettersOnly("München") == "münchen")
        // Combining marks, other scripts and multi-scalar lowercase mappings are left to the general rules.
        #expect(LatinRules.name("Zoe\u{308}") == nil)
        #expect(LatinRules.name("Алексей") == nil)
        #expect(LatinRules.lettersOnly("İstanbul") == nil)
        #expect(try IdentityNormalizer.name("Zoë O'Brien") == "zoë obrien")
    }
}

extension LatinRulesTests {
    /// The literal table of Latin letters is, entry for entry, the one worked out from the Unicode
    /// properties the general rules use.
    @Test func theLiteralLatinTableIsTheOneWorkedOutFromUnicode() {
        let literal = LatinScalars.literalTable
        let computed = LatinScalars.computedTable
        #expect(literal.count == computed.count)
        for index in computed.indices where index < literal.count && literal[index] != computed[index] {
            Issue.record("entry \(index): \(literal[index]) against \(computed[index])")
        }
    }
}
