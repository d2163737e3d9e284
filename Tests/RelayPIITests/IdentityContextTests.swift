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

    /// More values than the first block holds (12 hashed values, 512 kept bytes): both grow, and
    /// the values kept before are still found by their bytes, not hashed again.
    @Test func valuesKeptBeforeTheStoresGrowAreStillFound() {
        let context = IdentityContext(countryHint: nil)
        let values = (0..<40).map { "value-\($0)-" + String(repeating: "x", count: 30) }
        for value in values { #expect(context.digest(of: value) == SHA256.digest(value)) }
        #expect(context.digestsComputed == values.count)
        for value in values { #expect(context.digest(of: value) == SHA256.digest(value)) }
        #expect(context.digestsComputed == values.count)
    }

    /// The first block (the first hashed values and the first buffer, one allocation) in every
    /// order of growth: a first value too long for it, hashed values past its room before the
    /// buffer's and after, values normalised in the scratch and hashed in place. Every value is
    /// hashed once and found again by its bytes; with the block allocated by the context, and
    /// given by its owner (``IdentityContext/useFirstBlock(_:)``, freed by the owner after).
    @Test(arguments: [false, true])
    func theFirstBlockHoldsHashedValuesAndBytesWhicheverGrowsFirst(given: Bool) {
        let shapes: [[Int]] = [
            [600] + Array(repeating: 3, count: 20),
            Array(repeating: 3, count: 20) + [600, 2, 700],
            Array(repeating: 40, count: 14) + Array(repeating: 5, count: 14),
            [0, 500, 12, 13, 1, 511, 513],
        ]
        for lengths in shapes {
            let block = UnsafeMutableRawPointer.allocate(
                byteCount: IdentityContext.firstBlockByteCount, alignment: IdentityContext.firstBlockAlignment)
            defer { block.deallocate() }
            // Garbage where the context's values go: nothing may be read before it is written.
            block.initializeMemory(as: UInt8.self, repeating: 0xA5, count: IdentityContext.firstBlockByteCount)
            let context = IdentityContext(countryHint: nil)
            if given { context.useFirstBlock(block) }
            let values = lengths.enumerated().map { index, length in
                String(String(repeating: "\(index % 10)", count: length + 1).dropFirst())
            }
            for (index, value) in values.enumerated() {
                if index.isMultiple(of: 2) {
                    #expect(context.digest(of: value) == SHA256.digest(value))
                } else {
                    // Normalised in the scratch, as the byte rules do, and hashed from there.
                    let digest = context.withScratch(capacity: value.utf8.count) { scratch in
                        for byte in value.utf8 { scratch.append(byte) }
                        return context.digest(of: UnsafeBufferPointer(rebasing: scratch.bytes[0..<scratch.count]))
                    }
                    #expect(digest == SHA256.digest(value))
                }
            }
            let distinct = Set(values).count
            #expect(context.digestsComputed == distinct, "\(lengths)")
            for value in values.reversed() { #expect(context.digest(of: value) == SHA256.digest(value), "\(lengths)") }
            #expect(context.digestsComputed == distinct, "\(lengths)")
        }
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

    /// A value held inline in at most 16 bytes is read as one vector, its bytes and count; a
    /// longer one, or one kept in the context, is not.
    @Test func shortValuesAreReadAsOneVector() {
        let context = IdentityContext(countryHint: nil)
        for count in 0...90 {
            let text = (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            let value = text.withUnsafeBufferPointer { NormalizedBytes($0, in: context) }
            if count <= 16 {
                let short = value.shortInline
                #expect(short?.count == count)
                let held: [UInt8] = short.map { short in (0..<16).map { short.bytes[$0] } } ?? []
                let expected: [UInt8] = text + [UInt8](repeating: 0, count: 16 - count)
                #expect(held == expected, "\(count) bytes")
            } else {
                #expect(value.shortInline == nil, "\(count) bytes")
            }
        }
    }
}
