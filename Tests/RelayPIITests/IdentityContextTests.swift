import RelayCore
import RelayCrypto
@testable import RelayPII
import Testing

/// A customer's digests are computed once per value and shared by every rule that gives it.
@Suite struct IdentityContextTests {
    @Test func aValueHashedAgainGetsItsOwnDigest() {
        let context = IdentityContext(countryHint: nil)
        #expect(context.digest(of: "zoë") == SHA256.digest("zoë"))
        #expect(context.digest(of: "zoe") == SHA256.digest("zoe"))
        #expect(context.digest(of: "zoë") == SHA256.digest("zoë"))
        // Same length, other bytes.
        #expect(context.digest(of: "zoa") == SHA256.digest("zoa"))
    }

    /// `String`'s `==` equates canonically equivalent texts; their bytes, and so their digests,
    /// differ.
    @Test func canonicallyEquivalentValuesAreHashedByTheirBytes() {
        let context = IdentityContext(countryHint: nil)
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)
        #expect(context.digest(of: precomposed) == SHA256.digest(precomposed))
        #expect(context.digest(of: decomposed) == SHA256.digest(decomposed))
        #expect(context.digest(of: decomposed) != context.digest(of: precomposed))
    }

    /// More values than the first blocks hold (16 hashed values, 512 kept bytes): both grow, and
    /// the values kept before are still found by their bytes, not hashed again.
    @Test func valuesKeptBeforeTheStoresGrowAreStillFound() {
        let context = IdentityContext(countryHint: nil)
        let values = (0..<40).map { "value-\($0)-" + String(repeating: "x", count: 30) }
        for value in values { #expect(context.digest(of: value) == SHA256.digest(value)) }
        #expect(context.digestsComputed == values.count)
        for value in values { #expect(context.digest(of: value) == SHA256.digest(value)) }
        #expect(context.digestsComputed == values.count)
    }

    /// Values of every length up to past 128 bytes (lengths that share the length filter's bit
    /// with shorter ones), two per length: each hashed once, and found again by its bytes.
    @Test func valuesOfEveryLengthAreFoundAgain() {
        let context = IdentityContext(countryHint: nil)
        let values = (0...140).flatMap { length in
            ["a", "b"].map { String(repeating: "x", count: max(0, length - 1)) + (length > 0 ? $0 : "") }
        }
        let distinct = Set(values).count
        for value in values { #expect(context.digest(of: value) == SHA256.digest(value)) }
        #expect(context.digestsComputed == distinct)
        for value in values.reversed() { #expect(context.digest(of: value) == SHA256.digest(value)) }
        #expect(context.digestsComputed == distinct)
    }

    /// The country field's lookup answers from the hint only for the hint's own bytes: every
    /// other value (same length, other case, padded, unknown, hostile) is looked up.
    @Test func countryLookupAnswersAsTheTableForEveryValue() throws {
        let fixtureCountries = ByteRuleTests.shapes.filter { $0.utf8.count <= 40 }
        let values = ["DE", "de", "FR", "Netherlands", "netherlands", "Netherland", "Germany", " DE", "DE ", "xx", "zz", "us",
                      "USA", "uk", "Atlantis", "", "Côte d'Ivoire", String(repeating: "x", count: 32),
                      String(repeating: "x", count: 33)] + fixtureCountries
        for hint in values + [nil] {
            let context = IdentityContext(countryHint: hint.map(RawPII.init))
            for value in values {
                var text = value
                let (answer, reference) = text.withUTF8 { (context.countryLookup(ascii: $0), CountryTable.lookup(ascii: $0)) }
                #expect(answer == reference, "\(Array(hint?.utf8 ?? "-".utf8)) \(Array(value.utf8))")
            }
        }
    }

    @Test func rulesThatAgreeShareTheDigestAndRulesThatDifferDoNot() throws {
        let normalizer = IdentityNormalizer()
        let context = IdentityContext(countryHint: RawPII("DE"))
        let meta = try normalizer.normalize(.firstName, RawPII("Zoë"), for: .meta, context: context)
        let tiktok = try normalizer.normalize(.firstName, RawPII("Zoë"), for: .tiktok, context: context)
        let google = try normalizer.normalize(.email, RawPII("Jane.Doe@Gmail.com"), for: .google, context: context)
        let other = try normalizer.normalize(.email, RawPII("Jane.Doe@Gmail.com"), for: .meta, context: context)
        #expect(meta.digest == SHA256.digest("zoë") && tiktok.digest == SHA256.digest("zoë"))
        #expect(google.digest == SHA256.digest("janedoe@gmail.com"))
        #expect(other.digest == SHA256.digest("jane.doe@gmail.com"))
    }
}
