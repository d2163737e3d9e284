import RelayCore
@testable import RelayPII
import Testing

/// Issue 21 item 11: international dialling prefixes read as libphonenumber reads them, with the
/// order's country as the default region, and only numbers libphonenumber finds at least possible
/// are sent (docs/normalization.md "Phones"; rule in Sources/CPhoneNumber/phone.cpp `Sendable`).
@Suite struct PhoneRuleTests {
    func e164(_ value: String, country: String?) -> String? {
        (try? IdentityNormalizer().normalize(.phone, RawPII(value), for: .tiktok, countryHint: country.map(RawPII.init)))?
            .normalized.unredactedValue
    }

    @Test(arguments: [
        // "0081 …" came out as "+810081…" for Japanese orders (JP dials abroad with 010, so
        // libphonenumber keeps the 00): the "00" reading is valid, the region's is not.
        ("0081 3 1234 5678", "JP", "+81312345678"),
        ("00 81 90-1234-5678", "JP", "+819012345678"),
        ("0081 3 1234 5678", "DE", "+81312345678"),  // DE's own prefix is 00: libphonenumber strips it
        ("0081 3 1234 5678", nil, "+81312345678"),
        // "011" is North America's international prefix (libphonenumber's US and CA metadata).
        ("011 81 3 1234 5678", "US", "+81312345678"),
        ("011 44 20 7946 0958", "CA", "+442079460958"),
        // "0055 …" in BR was read as prefix 00 with carrier code 55, then a +1 number.
        ("0055 11 91234 5678", "BR", "+5511912345678"),
        ("0055 11 91234 5678", "US", "+5511912345678"),
        // Still read in the order's country: national numbers, JP's own 010 prefix.
        ("010 81 3 1234 5678", "JP", "+81312345678"),
        ("030 1234567", "DE", "+49301234567"),
        ("(415) 555-0123", "US", "+14155550123"),
    ])
    func internationalPrefixes(input: String, country: String?, expected: String) {
        #expect(e164(input, country: country) == expected)
    }

    @Test(arguments: [
        // Germany's plan counts 5 to 15 digits as possible: "12345" was sent as "+4912345".
        ("12345", "DE"), ("12345", "GB"), ("12345", "US"), ("12345", nil),
        // Local-only: possible only without the area code, so it cannot match anyone.
        ("123456", "GB"),
        // Over E.164's 15 digits, and not valid under either reading.
        ("+81 0081 90 1234 5678", nil),
        ("011 81 3 1234 5678", "DE"),
    ])
    func numbersThatAreNotPossibleAreNotSent(input: String, country: String?) {
        #expect(e164(input, country: country) == nil)
    }

    /// The same rule for every platform: the digits-only form is the E.164 form without "+".
    @Test func everyPlatformDropsTheSameNumbers() throws {
        for platform in Platform.allCases where IdentityNormalizer.transmission(of: .phone, for: platform) != .omit {
            #expect(throws: NormalizationError.self) {
                try IdentityNormalizer().normalize(.phone, RawPII("12345"), for: platform, countryHint: RawPII("DE"))
            }
            let digits = try IdentityNormalizer().normalize(
                .phone, RawPII("0055 11 91234 5678"), for: platform, countryHint: RawPII("BR")
            ).normalized.unredactedValue
            #expect(digits.hasSuffix("5511912345678") && digits.count <= 14)
        }
    }

    /// The fast path for common shapes must not send what the full parse refuses.
    @Test func shortcutAppliesTheSameRule() {
        for (number, region) in [("12345", "DE"), ("0081 3 1234 5678", "DE"), ("0055 11 91234 5678", "US"), ("+49 12345", nil)] {
            #expect(PhoneNumberFormatter.e164(number, region: region) == PhoneNumberFormatter.e164ThroughFullParse(number, region: region))
        }
        #expect(PhoneNumberFormatter.e164("+49 12345", region: nil) == nil)
        #expect(PhoneNumberFormatter.e164("0049 12345", region: "DE") == nil)
    }
}
