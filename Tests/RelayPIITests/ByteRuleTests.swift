import Foundation
import RelayCore
import RelayCrypto
@testable import RelayPII
import Testing

/// The byte-level path (``IdentityNormalizer/normalizeBytes(_:_:for:transmission:context:into:)``:
/// values read as bytes, normalised into the customer's buffer and hashed from there) must give
/// exactly what the general rules on `String` give (``IdentityNormalizer/normalizeText(_:_:for:context:)``):
/// the same bytes, digest and transmission, or the same error, for every field, platform and
/// country, and it must handle the common shapes itself.
@Suite struct ByteRuleTests {
    static let countries: [String?] = [nil, "US", "DE", "GB", "FR", "Netherlands", "CN", "us", "xx"]
    /// The countries that also take the whole Latin-rule corpus: no hint and the US (its state
    /// rule). The others take the shapes per field, whose rules (phones, states, postal codes,
    /// countries) read the country: the corpus through all nine took ~23 s of a debug build, more
    /// than the rest of the unit phase together.
    static let wholeCorpusCountries: Set<String?> = [nil, "US"]

    /// Values of every field: the Latin-rule corpus (every ASCII byte and Latin scalar in
    /// context), the hostile-identifier fixtures' customers, and shapes per field.
    static let inputs: [String] = LatinRulesTests.inputs + shapes

    /// The hostile-identifier fixtures' customers and shapes per field.
    static let shapes: [String] = {
        var inputs = [String]()
        inputs += [
            // Phones: national, international, trunk markers, letters, China (TikTok drops +86).
            "(415) 555-0123", "+1 415-555-0123", "415.555.0123", "1-415-555-0123", "020 7946 0958", "+44 (0)20 7946 0958",
            "07700 900123", "+44 7700 900123", "030 1234567", "+49 30 1234567", "0049 171 1234567", "01 23 45 67 89",
            "+33 6 12 34 56 78", "06 1234 5678", "+31 6 1234 5678", "+86 138 0013 8000", "13800138000", "12345", "abc",
            "+49 12345", "0081 3 1234 5678", "１２３", "+٤٤ 20 7946 0958",
            // Postal codes.
            "94105", "10001-1234", "73301", "SW1A 1AA", "M1 1AE", "80331", "50667", "75001", "1012 AB", "94035-1234",
            "940351234", "9410", "ABCDEFGHIJKLMNOPQ", "ABCDEFGHIJKLMNOP", "AB\r\nCD", "a-b c", "８０３３１",
            // States, countries, dates, genders.
            "California", "NY", "Texas", "England", "Greater Manchester", "Bayern", "NRW", "Île-de-France",
            "Auvergne-Rhône-Alpes", "Noord-Holland", "DE-BY", "ca", "new york", "District of Columbia",
            "Germany", "germany", "United Kingdom", "uk", "USA", "deu", "Netherlands", "Côte d'Ivoire", "zz",
            "1997-02-16", "2/16/1997", "16.02.1997", "19970216", "1997/2/30", "f", "Female", "M", "non-binary", "x",
            // Names with titles and suffixes (Google's rule).
            "Mrs. Jane", "Smith Jr.", "Dr", "Jean Paul", "Mary  Ann", "Prof. Dr. Müller", " Mr  Jean  Paul  Jr ",
            "Dr. Mrs. Jr.", "Sir Élan III", "Ms é Phd", "Mr\u{A0}Smith Jr", "Dame \u{301}x", "Mx\tLee\nEsq", "Miss",
            // Digests: passed through lowercased, never hashed again.
            SHA256.hexDigest("jane@example.com"), SHA256.hexDigest("x").uppercased(), String(repeating: "g", count: 64),
            // Unicode whitespace at the ends (trimmed by the general path) and inside.
            "\u{A0}Zoë\u{A0}", "Zoë\u{2003}", "\u{3000}Tokyo", "Zo\u{A0}ë", "\u{85}x", "x\u{1680}", " \u{301}abc",
            "\t jane@example.com \n", "   ", "\u{A0}", "ab\u{200B}cd",
        ]
        for case let file in (try? FileManager.default.contentsOfDirectory(at: fixtures, includingPropertiesForKeys: nil)) ?? [] {
            guard let data = try? Data(contentsOf: file), let event = try? OrderEventDecoder().decode([UInt8](data)) else {
                continue
            }
            for field in IdentityField.allCases { if let value = event.customer[field] { inputs.append(value.unredactedValue) } }
        }
        return inputs
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hostile-identifiers")

    /// The identifier `body` normalises in `context`, or the error's message; read while the
    /// context lives (a value longer than `NormalizedBytes.inlineCapacity` is kept there).
    static func outcome(
        in context: IdentityContext, _ body: (IdentityContext) throws(NormalizationError) -> NormalizedIdentifier
    ) -> String {
        withExtendedLifetime(context) {
            do throws(NormalizationError) {
                let identifier = try body(context)
                return "value:\(Array(identifier.value.string.utf8)) digest:\(identifier.digest?.hex ?? "-") \(identifier.transmission)"
            } catch {
                return "error:\(error.description)"
            }
        }
    }

    static let sentPairs: [(IdentityField, Platform)] = IdentityField.allCases.flatMap { field in
        Platform.allCases.filter { IdentityNormalizer.transmission(of: field, for: $0) != .omit }.map { (field, $0) }
    }

    @Test func theHostileFixturesAreRead() {
        #expect(Self.inputs.contains("a b@example.com"))
    }

    /// Every input, field, platform and country: a fresh customer each time.
    @Test(arguments: countries)
    func bytePathMatchesTheGeneralRules(country: String?) {
        let normalizer = IdentityNormalizer()
        let hint = country.map(RawPII.init)
        for input in Self.wholeCorpusCountries.contains(country) ? Self.inputs : Self.shapes {
            for (field, platform) in Self.sentPairs {
                let bytes = Self.outcome(in: IdentityContext(countryHint: hint)) { context throws(NormalizationError) in
                    try normalizer.normalize(field, RawPII(input), for: platform, context: context)
                }
                let general = Self.outcome(in: IdentityContext(countryHint: hint)) { context throws(NormalizationError) in
                    try normalizer.normalizeText(field, RawPII(input), for: platform, context: context)
                }
                #expect(bytes == general, "\(field) \(platform) \(country ?? "-") \(Array(input.utf8))")
            }
        }
    }

    /// Google's name rule on bytes keeps only the first and last word and the count (no array of
    /// words, no `String` per word): every title and suffix, in either case and with punctuation,
    /// before, after and around names of one to three words with runs of whitespace, alone, and
    /// one letter longer or shorter (no affix), as the general rule gives it. Phones with `(0)`
    /// at every place and cut short, letters and non-ASCII bytes in either order.
    @Test func googleAffixesAndPhoneShapesMatchTheGeneralRules() {
        #expect((GoogleNameAffixes.titles.union(GoogleNameAffixes.suffixes)).allSatisfy { $0.utf8.count <= 4 && $0.utf8.allSatisfy { $0 < 0x80 } })
        var names: [String] = []
        for affix in GoogleNameAffixes.titles.union(GoogleNameAffixes.suffixes).sorted() {
            for spelled in [affix, affix.capitalized + ".", affix.uppercased(), affix + "x", String(affix.dropLast())] {
                names += [
                    spelled, "\(spelled) Jane", "Jane \(spelled)", "\(spelled)  Jane\tMary \(spelled)", " \(spelled) Zoë  ",
                    "\(spelled) \(spelled)", "Jo \(spelled) Ann", "Dr \(spelled) Jr", "\(spelled) Jean-Paul  de  la  Tour \(spelled).",
                ]
            }
        }
        let phones = [
            "(0)20 7946 0958", "+44 (0)20 7946 0958 (0)", "+44 20 7946 0958(0", "+44 20 7946 0958(", "(0)(0)+44 20 7946 0958",
            "+44 ((0)20 7946 0958", "00 44 20 7946 0958", "  0044 20 7946 0958 ", "a١", "١a", "+44 20 7946 095é", "",
        ]
        let normalizer = IdentityNormalizer()
        for country in [nil, "GB", "US"] as [String?] {
            let hint = country.map(RawPII.init)
            for (field, inputs) in [(IdentityField.firstName, names), (.lastName, names), (.phone, phones)] {
                for input in inputs {
                    for platform in Platform.allCases where IdentityNormalizer.transmission(of: field, for: platform) != .omit {
                        let bytes = Self.outcome(in: IdentityContext(countryHint: hint)) { context throws(NormalizationError) in
                            try normalizer.normalize(field, RawPII(input), for: platform, context: context)
                        }
                        let general = Self.outcome(in: IdentityContext(countryHint: hint)) { context throws(NormalizationError) in
                            try normalizer.normalizeText(field, RawPII(input), for: platform, context: context)
                        }
                        #expect(bytes == general, "\(field) \(platform) \(country ?? "-") \(input)")
                    }
                }
            }
        }
    }

    /// Google's postal code (outside the US) and the external id are checked as ASCII eight bytes
    /// at a time and copied whole: a non-ASCII letter at every position of values of 1 to 20
    /// bytes (so of up to 16 characters where the general rule counts characters, not bytes), a
    /// CR, and ASCII values around the 16-byte limit, as the general rules give them.
    @Test func asciiValuesAreCopiedWholeAndTheRestLeftToTheGeneralRules() {
        var inputs: [String] = []
        for length in 1...20 {
            let digits = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x30 + $0 % 10))) })
            inputs.append(digits)
            for position in 0..<length {
                for letter in ["Å", "８", "\r"] {
                    inputs.append(String(digits.prefix(position)) + letter + String(digits.dropFirst(position + 1)))
                }
            }
        }
        let normalizer = IdentityNormalizer()
        for country in [nil, "DE"] as [String?] {
            let hint = country.map(RawPII.init)
            for input in inputs {
                for (field, platform) in [(IdentityField.postalCode, Platform.google), (.externalID, .meta), (.externalID, .google)] {
                    let bytes = Self.outcome(in: IdentityContext(countryHint: hint)) { context throws(NormalizationError) in
                        try normalizer.normalize(field, RawPII(input), for: platform, context: context)
                    }
                    let general = Self.outcome(in: IdentityContext(countryHint: hint)) { context throws(NormalizationError) in
                        try normalizer.normalizeText(field, RawPII(input), for: platform, context: context)
                    }
                    #expect(bytes == general, "\(field) \(platform) \(country ?? "-") \(Array(input.utf8))")
                }
            }
        }
    }

    /// `isSameIdentifier` reads an address's visible ASCII up to eight bytes at a time: it may
    /// answer "the same" for another platform's email identifier only when this platform's rule
    /// gives that identifier. Whitespace, `DEL`, a control character and non-ASCII letters and
    /// symbols at every position of an address, and addresses as shops send them.
    @Test func anEmailIsTheSameIdentifierOnlyWhenTheRulesAgree() {
        let normalizer = IdentityNormalizer()
        let address = "jane.doe+shop12@example.com"
        var inputs = ["  JANE.DOE@GMAIL.COM ", "zoë.müller+shop7@Example.ORG", "a@b.co", "Ø@ø.no", "x@mail.example.net"]
        for position in 0...address.count {
            for inserted in [" ", "\t", "\u{7F}", "\u{01}", "é", "Ø", "×", "\u{A0}", "€", "Q", "~"] {
                inputs.append(String(address.prefix(position)) + inserted + String(address.dropFirst(position)))
            }
        }
        // Google's rule and another's, both ways, and two others'.
        let pairs: [(Platform, Platform)] = [(.meta, .google), (.google, .meta), (.tiktok, .snapchat)]
        var same = 0
        for input in inputs {
            for (platform, other) in pairs {
                do {
                    let context = IdentityContext(countryHint: nil)
                    guard let theirs = try? normalizer.normalize(.email, RawPII(input), for: other, context: context) else { continue }
                    var bytes = input
                    let isSame = withUnsafePointer(to: theirs) { pointer in
                        bytes.withUTF8 { IdentityNormalizer.isSameIdentifier(.email, utf8: $0, for: platform, as: pointer) }
                    }
                    guard isSame else { continue }
                    same += 1
                    let mine = try? normalizer.normalize(.email, RawPII(input), for: platform, context: context)
                    #expect(mine?.value.string == theirs.value.string && mine?.digest?.hex == theirs.digest?.hex, "\(platform) \(other) \(Array(input.utf8))")
                }
            }
        }
        #expect(same > 100)
    }

    /// One customer's values through one context, as `PreparedEvent` does (every rule of every
    /// field in turn, sharing the buffer, the digests and the phone's parse): each identifier is
    /// what a fresh customer's general rule gives, and each distinct hashed value is hashed once.
    @Test func oneCustomerSharesItsBufferWithoutMixingValues() {
        let normalizer = IdentityNormalizer()
        let customers: [[IdentityField: String]] = [
            [.email: "  JANE.DOE+SHOP12@GMAIL.COM ", .phone: "+44 (0)20 7946 0958", .firstName: "Zoë", .lastName: "O'Brien",
             .city: "London", .state: "England", .postalCode: "SW1A 1AA", .country: "GB", .externalID: "cust-9012",
             .dateOfBirth: "1997-02-16", .gender: "Female"],
            [.email: "zoë.müller@example.com", .phone: "030 1234567", .firstName: "Zoë", .lastName: "Zoë", .city: "München",
             .state: "Bayern", .postalCode: "80331", .country: "DE", .externalID: SHA256.hexDigest("cust")],
            [.email: "x@example.com", .phone: "12345", .firstName: "Jo", .country: "DE"],
            [.email: "x@example.com", .phone: "12345", .firstName: "Jo"],
            [.email: "a@b.co", .phone: "(415) 555-0123", .firstName: "Mrs. Jane", .lastName: "Smith Jr.", .city: "New York",
             .state: "NY", .postalCode: "10001-1234", .country: "US", .externalID: "10001"],
            [.email: String(repeating: "long", count: 20) + "@example.com", .phone: "+86 138 0013 8000", .firstName: "Алексей",
             .lastName: "\u{A0}Ødegård", .city: "Île-de-France", .state: "Île-de-France", .postalCode: "75001", .country: "FR"],
        ]
        for customer in customers {
            let context = IdentityContext(countryHint: customer[.country].map(RawPII.init))
            var hashed: [[UInt8]] = []
            for (field, platform) in Self.sentPairs {
                guard let value = customer[field] else { continue }
                let shared = Self.outcome(in: context) { context throws(NormalizationError) in
                    try normalizer.normalize(field, RawPII(value), for: platform, context: context)
                }
                let fresh = Self.outcome(in: IdentityContext(countryHint: customer[.country].map(RawPII.init))) {
                    context throws(NormalizationError) in
                    try normalizer.normalizeText(field, RawPII(value), for: platform, context: context)
                }
                #expect(shared == fresh, "\(field) \(platform)")
                if let identifier = try? normalizer.normalize(field, RawPII(value), for: platform, context: context),
                    identifier.transmission == .sha256, !SHA256.isHexDigest(value.trimmingCharacters(in: .whitespaces))
                {
                    let bytes = Array(identifier.value.string.utf8)
                    if !hashed.contains(bytes) { hashed.append(bytes) }
                }
            }
            // No value hashed twice: as many digests as distinct hashed values.
            #expect(context.digestsComputed == hashed.count)
        }
    }

    /// The parse remembered for one number is not the answer for another of the same length,
    /// and a number parsed before is found again after another.
    @Test func aRememberedPhoneAnswersOnlyForItsNumber() throws {
        let normalizer = IdentityNormalizer()
        let context = IdentityContext(countryHint: RawPII("DE"))
        for (number, expected) in [("030 1234567", "49301234567"), ("030 1234568", "49301234568"), ("030 1234567", "49301234567"),
                                   ("+86 138 0013 8000", "8613800138000")] {
            #expect(try normalizer.normalize(.phone, RawPII(number), for: .meta, context: context).normalized.unredactedValue == expected)
        }
        // "+86" goes for TikTok; the number is the one remembered last.
        #expect(try normalizer.normalize(.phone, RawPII("+86 138 0013 8000"), for: .tiktok, context: context).normalized.unredactedValue == "13800138000")
        #expect(try normalizer.normalize(.phone, RawPII("+86 138 0013 8000"), for: .google, context: context).normalized.unredactedValue == "+8613800138000")
    }

    /// The common shapes are normalised byte by byte, not handed to the general rules.
    @Test func commonShapesTakeTheBytePath() {
        let cases: [(IdentityField, Platform, String, String?)] = [
            (.email, .meta, " Jane.Doe@Example.com ", nil), (.email, .google, "Jane.Doe+x@Gmail.com", nil),
            (.email, .tiktok, "zoë@example.com", nil), (.phone, .meta, "030 1234567", "DE"),
            (.phone, .google, "+44 (0)20 7946 0958", "GB"), (.phone, .tiktok, "(415) 555-0123", "US"),
            (.firstName, .meta, "Zoë", nil), (.firstName, .google, "François", nil), (.lastName, .tiktok, "Van der Berg", nil),
            (.lastName, .snapchat, "O'Brien", nil), (.city, .meta, "München", nil), (.city, .tiktok, "San Francisco", nil),
            (.state, .meta, "Bayern", "DE"), (.state, .tiktok, "Île-de-France", "FR"), (.postalCode, .meta, "SW1A 1AA", "GB"),
            (.postalCode, .google, "10001-1234", "US"), (.postalCode, .google, "1012 AB", "NL"), (.postalCode, .tiktok, "94105", "US"),
            (.country, .meta, "DE", nil), (.country, .google, "gb", nil), (.externalID, .meta, "cust-9012", nil),
            (.email, .pinterest, SHA256.hexDigest("x").uppercased(), nil), (.state, .pinterest, "Bayern", "DE"),
            (.state, .pinterest, "DE-BY", "DE"), (.state, .meta, "California", "US"), (.state, .snapchat, "tx", nil),
            (.country, .meta, "Netherlands", nil), (.country, .tiktok, "USA", nil), (.lastName, .google, "van der Berg", nil),
            (.firstName, .google, "Mrs. Jane", nil), (.lastName, .google, "Smith Jr.", nil),
        ]
        for (field, platform, value, country) in cases {
            let context = IdentityContext(countryHint: country.map(RawPII.init))
            let slot = UnsafeMutablePointer<NormalizedIdentifier>.allocate(capacity: 1)
            defer { slot.deallocate() }
            let outcome = RawPII(value).withUTF8 { bytes in
                IdentityNormalizer.normalizeBytes(
                    field, bytes, for: platform, transmission: IdentityNormalizer.transmission(of: field, for: platform), context: context,
                    into: slot)
            }
            guard case .normalized = outcome else {
                Issue.record("\(field) \(platform) \(value) took the general path")
                continue
            }
        }
    }

    /// Ends that may be Unicode whitespace go to the general path, which trims them; a Latin
    /// letter at an end does not.
    @Test func trimmingReadsTheScalarsAtBothEnds() {
        /// The trimmed bytes as text, or `general`.
        func trimmed(_ text: String) -> String {
            var copy = text
            return copy.withUTF8 { IdentityNormalizer.trimmedWhitespace($0).map { String(decoding: $0, as: UTF8.self) } } ?? "general"
        }
        #expect(trimmed(" \tZoë\n ") == "Zoë")
        #expect(trimmed("ëZ") == "ëZ")
        #expect(trimmed("   ") == "")
        #expect(trimmed("\u{A0}x") == "general")
        #expect(trimmed("x\u{2003}") == "general")
        #expect(trimmed("x\u{3000}") == "general")
        // The fast path (visible ASCII at both ends) and the ends it must leave to the loops.
        #expect(trimmed("a") == "a")
        #expect(trimmed("~ x \u{7F}") == "~ x \u{7F}")
        #expect(trimmed("!x ") == "!x")
        #expect(trimmed(" x!") == "x!")
        #expect(trimmed("x\u{0}") == "x\u{0}")
        #expect(trimmed("x\u{85}") == "general")
    }

    /// No value `RawPII.isBlank` calls blank is normalised, for any field and platform, so the
    /// cache (`PreparedEvent`) need not ask `isBlank` before normalising: among them a space and a
    /// combining mark (one whitespace character, which trimming scalars leaves a mark of).
    @Test func blankValuesAreNeverNormalised() {
        let normalizer = IdentityNormalizer()
        for text in ["", " ", "\t\n", "\u{A0}", " \u{301}", "\u{2003}\u{301} ", "\u{3000}", "\r\n"] {
            #expect(RawPII(text).isBlank, "\(Array(text.utf8))")
            for (field, platform) in Self.sentPairs {
                for country in [nil, "US", "DE"] {
                    let outcome = Self.outcome(in: IdentityContext(countryHint: country.map(RawPII.init))) {
                        context throws(NormalizationError) in
                        try normalizer.normalize(field, RawPII(text), for: platform, context: context)
                    }
                    #expect(outcome == "error:empty value", "\(field) \(platform) \(Array(text.utf8))")
                }
            }
        }
    }

    /// Values up to the inline capacity are held inline, longer ones in the context, byte for
    /// byte either way; a copy of a long value reads the same bytes, and an identifier stays
    /// readable as long as its context (the one-shot API's ``OwnedIdentifier`` holds its own).
    @Test func longValuesKeepTheirBytes() {
        let context = IdentityContext(countryHint: nil)
        for count in [0, 1, NormalizedBytes.inlineCapacity - 1, NormalizedBytes.inlineCapacity, NormalizedBytes.inlineCapacity + 1, 300] {
            let text = String(repeating: "é", count: count / 2) + String(repeating: "a", count: count % 2)
            let bytes = NormalizedBytes(text, in: context)
            #expect(bytes.string == text)
            #expect(bytes.count == text.utf8.count)
            let fromBuffer = Array(text.utf8).withUnsafeBufferPointer { NormalizedBytes($0, in: context) }
            let copy = fromBuffer
            #expect(bytes == fromBuffer && copy.string == text)
            #expect("\(bytes)" == "<redacted>")
        }
        #expect(NormalizedBytes("abc", in: context) != NormalizedBytes("abd", in: context))
        #expect(NormalizedBytes("caf\u{E9}", in: context) != NormalizedBytes("cafe\u{301}", in: context))
        #expect(_isPOD(NormalizedIdentifier.self))

        let long = String(repeating: "long", count: 30) + "@example.com"
        let owned = try? IdentityNormalizer().normalize(.email, RawPII(" " + long.uppercased()), for: .meta)
        #expect(owned?.normalized.unredactedValue == long)
        #expect(owned?.sha256 == SHA256.hexDigest(long))
    }
}
