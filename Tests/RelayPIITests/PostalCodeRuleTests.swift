import RelayCore
@testable import RelayPII
import Testing

/// The ASCII fast path of the postal-code rule must give exactly what the general rule gives: the
/// same value, or a failure for the same inputs, in and outside the US.
@Suite struct PostalCodeRuleTests {
    @Test(arguments: [nil, "US", "GB", "DE", "CA"])
    func asciiPathMatchesTheGeneralRule(countryCode: String?) throws {
        let country = countryCode.flatMap(CountryTable.lookup)
        var inputs = [
            "94035", "94035-1234", "940351234", " 94035 ", "9403", "94035a", "SW1A 1AA", "sw1a-1aa", "10115", "K1A 0B1",
            "", " ", "-", "12 34 5", "1234567890", "A1B2C3", "ab.cd", "12\r\n345", "\t12345", "00000", "99999-",
        ]
        // Every ASCII byte inside a US-like and a UK-like code.
        for byte in UInt8(0)..<0x80 {
            let character = String(decoding: [byte], as: UTF8.self)
            inputs += ["940\(character)35", "SW1A\(character)1AA", character, "12345\(character)"]
        }
        // Random short strings over digits, letters, spaces, dashes and a few others.
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789aZkQ -.\t/".utf8)
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...11, using: &generator)
            inputs.append(String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self))
        }
        for input in inputs {
            let fast = Result { () throws(NormalizationError) -> String? in try IdentityNormalizer.asciiPostalCode(input, country: country) }
            let general = Result { () throws(NormalizationError) -> String in try IdentityNormalizer.unicodePostalCode(input, country: country) }
            switch (fast, general) {
            case (.success(let value?), .success(let expected)): #expect(value == expected, "\(input.debugDescription)")
            case (.failure, .failure): break
            default: Issue.record("\(input.debugDescription) in \(countryCode ?? "no country"): \(fast) vs \(general)")
            }
        }
        #expect(try IdentityNormalizer.asciiPostalCode("Zürich 8001", country: country) == nil, "non-ASCII takes the general rule")
    }
}
