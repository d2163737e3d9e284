import RelayCore
import RelayCrypto
import RelayPII
import Testing

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        // FIPS 180-2 appendix B.1 and the empty-string digest.
        #expect(SHA256.hexDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // B.2 (two blocks once padded) and B.3 (a million bytes, many calls of the block function).
        #expect(
            SHA256.hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func detectsDigests() {
        #expect(SHA256.isHexDigest(SHA256.hexDigest("x")))
        #expect(SHA256.isHexDigest(SHA256.hexDigest("x").uppercased()))
        #expect(!SHA256.isHexDigest("abc"))
        #expect(!SHA256.isHexDigest(String(repeating: "g", count: 64)))
    }

    /// A digest held inline reads back from its hexadecimal digits in either case, and nothing
    /// else reads as one.
    @Test func digestsRoundTripThroughTheirDigits() throws {
        for text in ["", "abc", "jane@example.com", "zoë", String(repeating: "x", count: 1_000)] {
            let digest = SHA256.digest(text)
            #expect(digest.hex == SHA256.hexDigest(text))
            #expect(SHA256Digest(hex: digest.hex) == digest)
            #expect(SHA256Digest(hex: digest.hex.uppercased()) == digest)
            #expect(SHA256Digest(hex: digest.hex)?.hex == digest.hex)
        }
        #expect(SHA256.digest("a") != SHA256.digest("b"))
        let hex = SHA256.hexDigest("abc")
        #expect(SHA256Digest(hex: String(hex.dropLast())) == nil)
        #expect(SHA256Digest(hex: hex + "0") == nil)
        #expect(SHA256Digest(hex: String(hex.dropLast()) + "g") == nil)
        #expect(SHA256Digest(hex: "/" + String(hex.dropFirst())) == nil)
    }

    /// Every byte value, in each of a word's first four positions, spells its two lowercase
    /// digits (a faster writer would take several bytes at a time).
    @Test func everyByteSpellsItsTwoLowercaseDigits() throws {
        let digits = Array("0123456789abcdef".utf8)
        for first in stride(from: 0, to: 256, by: 32) {
            for shift in 0..<4 {  // each byte value in each of a group's four positions
                let bytes = (0..<32).map { (first + ($0 + shift) % 32) }
                let hex = String(decoding: bytes.flatMap { [digits[$0 >> 4], digits[$0 & 0x0F]] }, as: UTF8.self)
                let digest = try #require(SHA256Digest(hex: hex.uppercased()))
                #expect(digest.hex == hex)
            }
        }
    }
}

/// Each expectation names its rule in `destinations.md`.
@Suite struct MetaNormalizationTests {
    let normalizer = IdentityNormalizer()

    func meta(_ field: IdentityField, _ value: String, country: String? = nil) -> String? {
        (try? normalizer.normalize(field, RawPII(value), for: .meta, countryHint: country.map(RawPII.init)))?
            .normalized.unredactedValue
    }

    @Test func emailIsTrimmedAndLowercasedWithoutGmailRule() {
        // §1 em: trim, lowercase. §6.3: Gmail dot/+tag stripping is Google-only.
        #expect(meta(.email, "  Jane.Doe+shop@Example.com ") == "jane.doe+shop@example.com")
        #expect(meta(.email, "J.A.N.E+x@Gmail.com") == "j.a.n.e+x@gmail.com")
        #expect(meta(.email, "not-an-email") == nil)
        #expect(meta(.email, "   ") == nil)
    }

    @Test(arguments: [
        // §1 ph: digits only, with country code, no "+"; §6.2 trunk "(0)" and national numbers.
        ("+44 (0)20 7946 0958", nil as String?, "442079460958"),
        ("020 7946 0958", "GB", "442079460958"),
        ("(650) 555-0123", "US", "16505550123"),
        ("1-650-555-0123", "US", "16505550123"),
        ("650.555.0123", "USA", "16505550123"),
        ("0049 171 1234567", nil, "491711234567"),
        ("06 12345678", "Netherlands", "31612345678"),
        ("+44 844 412 4653", nil, "448444124653"),  // Snap's own example (§5), same rule for Meta
    ])
    func phoneGetsCountryCodeWithoutPlus(input: String, country: String?, expected: String) {
        #expect(meta(.phone, input, country: country) == expected)
    }

    @Test func unusablePhonesAreOmitted() {
        #expect(meta(.phone, "020 7946 0958") == nil)  // national number, no country to read it with
        #expect(meta(.phone, "call me") == nil)
        #expect(meta(.phone, "+1 23") == nil)  // too short for E.164
    }

    @Test func namesAreLowercaseWithoutPunctuationKeepingAccents() {
        // §1 fn/ln: lowercase, no punctuation; UTF-8 letters allowed (Valéry → valéry).
        #expect(meta(.firstName, "Valéry") == "valéry")
        #expect(meta(.lastName, "O'Brien") == "obrien")
        #expect(meta(.firstName, " Mary-Jane ") == "maryjane")
        #expect(meta(.lastName, "...") == nil)
    }

    @Test func cityAndStateAreLettersOnlyWithUSStateCodes() {
        // §1 ct: lowercase, no punctuation, special characters or spaces. st: US 2-letter code.
        #expect(meta(.city, "San Francisco") == "sanfrancisco")
        #expect(meta(.city, "Köln") == "köln")
        #expect(meta(.state, "California", country: "US") == "ca")
        #expect(meta(.state, "NY", country: "US") == "ny")
        #expect(meta(.state, "Greater Manchester", country: "GB") == "greatermanchester")
        #expect(meta(.state, "Narnia", country: "US") == nil)
    }

    @Test func postalCodes() {
        // §1 zp: lowercase, no spaces or dash; US: first 5 digits (docs over SDK, which keeps 9).
        #expect(meta(.postalCode, "94035-1234", country: "US") == "94035")
        #expect(meta(.postalCode, "94035 1234", country: "US") == "94035")
        #expect(meta(.postalCode, "SW1A 1AA", country: "GB") == "sw1a1aa")
        #expect(meta(.postalCode, "123", country: "US") == nil)
    }

    @Test func countriesBecomeLowercaseAlpha2() {
        // §1 country: ISO 3166-1 alpha-2 lowercase; names and alpha-3 mapped (SDK raises on them).
        #expect(meta(.country, "US") == "us")
        #expect(meta(.country, "USA") == "us")
        #expect(meta(.country, "United States") == "us")
        #expect(meta(.country, " deutschland ") == "de")
        #expect(meta(.country, "Atlantis") == nil)
    }

    @Test func datesOfBirthBecomeYYYYMMDD() {
        // §1 db: YYYYMMDD; Meta's example 2/16/1997 → 19970216 (SDK does not reformat).
        #expect(meta(.dateOfBirth, "2/16/1997") == "19970216")
        #expect(meta(.dateOfBirth, "1997-02-16") == "19970216")
        #expect(meta(.dateOfBirth, "16.02.1997") == "19970216")
        #expect(meta(.dateOfBirth, "19970216") == "19970216")
        #expect(meta(.dateOfBirth, "1997-02-30") == nil)
        #expect(meta(.dateOfBirth, "yesterday") == nil)
    }

    @Test func genderIsFOrM() throws {
        // §1 ge: f or m.
        #expect(meta(.gender, "Female") == "f")
        #expect(meta(.gender, " M ") == "m")
        #expect(meta(.gender, "x") == nil)
        // Only Pinterest takes n [§4 ge]: Meta gets no gender rather than a value it rejects.
        #expect(meta(.gender, "n") == nil)
        #expect(meta(.gender, "non-binary") == nil)
        #expect(try normalizer.normalize(.gender, RawPII("Non-Binary"), for: .pinterest).normalized.unredactedValue == "n")
    }

    @Test func hashesAndNeverHashesTwice() throws {
        let hashed = try normalizer.normalize(.email, RawPII(" Jane@Example.com"), for: .meta)
        #expect(hashed.transmission == .sha256)
        #expect(hashed.wireValue == SHA256.hexDigest("jane@example.com"))
        // §6.5: a value that already is a SHA-256 digest passes through, lowercased.
        let digest = SHA256.hexDigest("jane@example.com")
        let again = try normalizer.normalize(.email, RawPII(digest.uppercased()), for: .meta)
        #expect(again.wireValue == digest)
    }

    @Test func googleDiffersWhereItsDocsSaySo() throws {
        // §2: Gmail dots and +tag removed for Google only; phone E.164 with "+"; region code plain,
        // upper-case alpha-2 (the util's Formatter: strip + upper, 2 characters).
        func google(_ field: IdentityField, _ value: String, country: String? = nil) throws -> OwnedIdentifier {
            try normalizer.normalize(field, RawPII(value), for: .google, countryHint: country.map(RawPII.init))
        }
        #expect(try google(.email, "J.A.N.E+x@Googlemail.com").normalized.unredactedValue == "jane@googlemail.com")
        #expect(try google(.email, "j.a.n.e+x@example.com").normalized.unredactedValue == "j.a.n.e+x@example.com")
        #expect(try google(.phone, "020 7946 0958", country: "GB").normalized.unredactedValue == "+442079460958")
        let region = try google(.country, "United Kingdom")
        #expect(region.transmission == .plain)
        #expect(region.wireValue == "GB")
    }

    @Test func errorsNeverContainTheValue() {
        do {
            _ = try normalizer.normalize(.email, RawPII("secret-person"), for: .meta)
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("secret"))
        }
    }
}
