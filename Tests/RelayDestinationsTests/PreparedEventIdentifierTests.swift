import RelayCore
import RelayDestinations
import RelayPII
import Testing

/// The cache reads each customer value in place and normalises it byte by byte; a value the byte
/// path hands to the general rules (other scripts, Unicode whitespace at an end, a name with a
/// title) is normalised from the value itself: every pair gives what normalising afresh gives.
@Suite struct PreparedEventIdentifierTests {
    @Test func valuesLeftToTheGeneralRulesAreCachedAsNormalisedAfresh() throws {
        var event = try loadExample("full")
        event.customer.firstName = RawPII("Ζωή")
        event.customer.lastName = RawPII("\u{A0}Παπαδοπούλου")
        event.customer.city = RawPII("Αθήνα")
        event.customer.email = RawPII("\u{2003}jane@example.com")
        event.customer.gender = RawPII("   ")
        let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
        var normalised = 0
        for field in IdentityField.allCases {
            for platform in Platform.allCases {
                let fresh = event.customer[field].flatMap {
                    try? IdentityNormalizer().normalize(field, $0, for: platform, countryHint: event.customer.country)
                }
                let expected: OwnedIdentifier? = IdentityNormalizer.transmission(of: field, for: platform) == .omit ? nil : fresh
                if expected != nil, [.firstName, .lastName, .city, .email].contains(field) { normalised += 1 }
                #expect(prepared.identifier(field, for: platform) == expected, "\(field) for \(platform)")
            }
        }
        #expect(normalised > 10, "the general rules normalise these values")
    }

    /// Names and addresses on which some platforms' rules agree (the cache then copies one
    /// platform's identifier for another) and ones on which they do not (a name of several words,
    /// with a title, punctuation, a symbol, a combining mark or a digit; Latin letters; a Gmail or Googlemail address, one
    /// with whitespace, upper case or a Latin letter; a value already hashed): whichever platform
    /// asks first, every pair gives what normalising afresh gives.
    @Test(arguments: [
        ("Anna", "Smith", "jane@example.com"),
        ("ANNA", "sMiTh", "Jane.Doe@Example.COM"),
        ("Anna Maria", "O'Neil", "J.Doe+promo@gmail.com"),
        ("Mrs", "Jr", "j.doe@GoogleMail.com"),
        ("Dr Anna", "Smith Jr", "JANE+x@GMAIL.COM"),
        ("Zoë", "Anna2", " jane@example.com"),
        ("x", "abcdefABCDEFabcdefABCDEFabcdefABCDEFabcdefABCDEFabcdefABCDEFabcd", "jane doe@example.com"),
        ("A-b", "Smith\t", "jané@example.com"),
        ("Ann", "Lee", "A3F5C6D8E9B0A1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6"),
        ("Ann", "Lee", "..@gmail.com"),
        ("Ann", "Lee", "jane@gmail.com.au"),
        ("Ann", "Lee", "jane@@example.com"),
        ("Ann", "Lee", "jane@mail.gmail.com"),
        ("Łukasz", "Ødegård", "x@y.z"),
        ("×Ann", "Lee÷", "x@y.z"),
        ("İlker", "ẞtraße", "x@y.z"),
        ("Ann\u{301}", "Núñez", "x@y.z"),
        ("ÀÉÎÕÜ", "García", "x@y.z"),
        ("Ann", "Lee", "  ZOË.MÜLLER+SHOP12@EXAMPLE.ORG "),
        ("Ann", "Lee", "\tzoë.müller12@gmail.com\n"),
        ("Ann", "Lee", " søren@googlemail.com"),
        ("Ann", "Lee", "jane×doe@example.com"),
        ("Ann", "Lee", "jane\u{A0}@example.com"),
        ("Ann", "Lee", "\u{A0}jane@example.com"),
        ("Ann", "Lee", "jane\u{7F}@example.com"),
        ("Ann", "Lee", "jane@ex\tample.com"),
    ])
    func valuesSomeRulesAgreeOnAreCachedAsNormalisedAfresh(firstName: String, lastName: String, email: String) throws {
        var event = try loadExample("full")
        event.customer.firstName = RawPII(firstName)
        event.customer.lastName = RawPII(lastName)
        event.customer.email = RawPII(email)
        for platforms in Platform.rotations {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
            for platform in platforms {
                for field in [IdentityField.firstName, .lastName, .email] {
                    let fresh = event.customer[field].flatMap {
                        try? IdentityNormalizer().normalize(field, $0, for: platform, countryHint: event.customer.country)
                    }
                    #expect(prepared.identifier(field, for: platform) == fresh, "\(field) for \(platform)")
                    var writer = JSONWriter(reservingCapacity: 64)
                    prepared.writeWireValue(field, for: platform, into: &writer)
                    #expect(String(decoding: writer.bytes, as: UTF8.self) == fresh?.wireValue ?? "", "\(field) for \(platform)")
                }
            }
        }
    }

    /// Cities and countries, hashed for some platforms and sent plain to TikTok by the same rule
    /// (the cache then copies the hashed slot's value for TikTok), including values already
    /// hashed or of a digest's length, which the hashed slot passes through and TikTok's rule
    /// normalises: whichever platform asks first, every pair gives what normalising afresh gives.
    @Test(arguments: [
        ("Berlin", "DE"), ("  New York ", "us"), ("São Paulo", "Brazil"), ("Αθήνα", "gr"), ("St. John's 2", " United Kingdom "),
        ("A3F5C6D8E9B0A1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6", "A3F5C6D8E9B0A1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6"),
        ("abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd", "Netherlands"),
        (" ABCDEFabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd ", "xx"),
        ("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd", "de"),
        ("Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogochllanfairpwllgwyngyllgogery", "Atlantis"),
        ("12345", "   "), ("\u{A0}Zürich", "CH"), ("Z\u{301}urich", "ch"), ("", "")
    ])
    func citiesAndCountriesSentPlainAndHashedAreCachedAsNormalisedAfresh(city: String, country: String) throws {
        var event = try loadExample("full")
        event.customer.city = RawPII(city)
        event.customer.country = RawPII(country)
        for platforms in Platform.rotations {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
            for platform in platforms {
                for field in [IdentityField.city, .country] {
                    let fresh = event.customer[field].flatMap {
                        try? IdentityNormalizer().normalize(field, $0, for: platform, countryHint: event.customer.country)
                    }
                    let expected: OwnedIdentifier? = IdentityNormalizer.transmission(of: field, for: platform) == .omit ? nil : fresh
                    #expect(prepared.identifier(field, for: platform) == expected, "\(field) for \(platform)")
                    var writer = JSONWriter(reservingCapacity: 64)
                    prepared.writeWireValue(field, for: platform, into: &writer)
                    #expect(String(decoding: writer.bytes, as: UTF8.self) == expected?.wireValue ?? "", "\(field) for \(platform)")
                }
            }
        }
    }

    /// Phones, whose identifiers for Google and TikTok agree but for Chinese numbers (the cache
    /// then copies one platform's for the other): international and national numbers, Chinese
    /// ones in and out of China, values already hashed, numbers refused: whichever platform asks
    /// first, every pair gives what normalising afresh gives.
    @Test(arguments: [
        ("+1 415 555 0123", "us"), ("(415) 555-0123", "us"), ("+86 138 0000 0000", "cn"), ("138 0000 0000", "cn"),
        ("+86 138 0000 0000", "us"), ("0086 13800000000", nil), ("+44 (0)20 7946 0958", "gb"), ("020 7946 0958", "gb"),
        ("A3F5C6D8E9B0A1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6", "de"), ("12345", "de"), ("+8", nil),
        ("+861", "cn"), ("86 138 0000 0000", "cn"), ("+852 5123 4567", "hk"), ("\u{A0}+86 138 0000 0000", "cn"), ("", "us"),
    ])
    func phonesForGoogleAndTikTokAreCachedAsNormalisedAfresh(phone: String, country: String?) throws {
        var event = try loadExample("full")
        event.customer.phone = RawPII(phone)
        event.customer.country = country.map(RawPII.init)
        for platforms in Platform.rotations {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
            for platform in platforms {
                let fresh = event.customer.phone.flatMap {
                    try? IdentityNormalizer().normalize(.phone, $0, for: platform, countryHint: event.customer.country)
                }
                #expect(prepared.identifier(.phone, for: platform) == fresh, "\(phone) for \(platform)")
                var writer = JSONWriter(reservingCapacity: 64)
                prepared.writeWireValue(.phone, for: platform, into: &writer)
                #expect(String(decoding: writer.bytes, as: UTF8.self) == fresh?.wireValue ?? "", "\(phone) for \(platform)")
            }
        }
    }
}
