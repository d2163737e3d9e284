import RelayCore
@testable import RelayPII
import Testing

/// The ASCII fast paths must give exactly what the general (Unicode) rules give, for every ASCII
/// input: the same value, or a failure for the same inputs.
@Suite struct ASCIIRulesTests {
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
        return inputs
    }()

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
                let fast = outcome { try ASCIIRules.email(input, google: google) }
                let general = outcome { try IdentityNormalizer.unicodeEmail(input, for: google ? .google : .meta) }
                #expect(fast == general, "email \(Array(input.utf8)) google=\(google)")
            }
        }
    }

    @Test func nameAndLettersFastPathsMatchTheGeneralRules() {
        for input in Self.inputs {
            #expect(outcome { ASCIIRules.name(input) } == outcome { try IdentityNormalizer.unicodeName(input) }, "name \(Array(input.utf8))")
            #expect(
                outcome { ASCIIRules.lettersOnly(input) } == outcome { try IdentityNormalizer.unicodeLettersOnly(input, what: "city") },
                "letters \(Array(input.utf8))")
        }
    }

    @Test func nonASCIIInputTakesTheGeneralPath() throws {
        #expect(ASCIIRules.name("Zoë") == nil)
        #expect(try ASCIIRules.email("zoë@example.com", google: false) == nil)
        #expect(ASCIIRules.lettersOnly("München") == nil)
        #expect(try IdentityNormalizer.name("Zoë O'Brien") == "zoë obrien")
    }
}
