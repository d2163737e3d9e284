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
}
