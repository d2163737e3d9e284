import RelayCore
import RelayCrypto
import RelayDestinations
import RelayPII
import Testing

/// Issue 21 items 8 and 10: where Google's event carries the checkout's device, and how names
/// are formatted (docs/normalization.md "Google").
@Suite struct GoogleEventTests {
    func google(_ event: OrderEvent) throws -> JSONObject {
        let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: event.occurredAt.epochSeconds + 60)
        let configuration = GoogleDestinationConfiguration(operatingAccountID: "1234567890", conversionActionID: "1", tokenProvider: FixedToken())
        guard case .send(let bytes) = GoogleDestination(configuration: configuration).encode(prepared),
            case .object(let json) = try JSONParser().parse(bytes)
        else {
            Issue.record("Google receives the event")
            return JSONObject()
        }
        return json
    }

    /// googleapis datamanager_v1 types/event.py: `event_device_info` is the device "when the event
    /// happened"; `AdIdentifiers.landing_page_device_info` the device "at the time of landing onto
    /// the advertiser's site after interacting with the ad". The checkout is the event.
    @Test func theCheckoutsDeviceIsTheEventsDevice() throws {
        let json = try google(try loadExample("full"))
        #expect(json["eventDeviceInfo"] == .object(JSONObject(members: [
            ("userAgent", .string("Mozilla/5.0 (X11; Linux x86_64)")), ("ipAddress", .string("203.0.113.7")),
        ])))
        guard case .object(let ad)? = json["adIdentifiers"] else {
            Issue.record("the gclid is in adIdentifiers")
            return
        }
        #expect(ad["gclid"] == .string("Cj0KCQabc"))
        #expect(ad["landingPageDeviceInfo"] == nil)
    }

    @Test func withoutAClickIDThereAreNoAdIdentifiers() throws {
        var event = try loadExample("full")
        event.context.gclid = nil
        let json = try google(event)
        #expect(json["adIdentifiers"] == nil)
        #expect(json["eventDeviceInfo"] != nil)
    }

    /// Google's formatting guidance: names lower-cased, trimmed, without punctuation, titles or
    /// suffixes (developers.google.com/data-manager/api/devguides/concepts/formatting).
    @Test(arguments: [
        ("Mrs. Jane", "jane"), ("Dr Zoë", "zoë"), ("  O'Brien Jr. ", "obrien"), ("Smith III", "smith"),
        ("Mary  Ann", "mary  ann"), ("Dr", "dr"), ("Jr.", "jr"), ("Sir Mix", "mix"),
    ])
    func namesLoseTitlesAndSuffixes(raw: String, expected: String) throws {
        let google = try IdentityNormalizer().normalize(.firstName, RawPII(raw), for: .google)
        #expect(google.normalized.unredactedValue == expected)
        #expect(google.sha256 == SHA256.hexDigest(expected))
    }

    /// Only Google drops titles: Meta keeps its documented rule (destinations.md §1 fn).
    @Test func otherPlatformsKeepTheirNameRule() throws {
        #expect(try IdentityNormalizer().normalize(.firstName, RawPII("Mrs. Jane"), for: .meta).normalized.unredactedValue == "mrs jane")
        var event = try loadExample("full")
        event.customer.firstName = RawPII("Mrs. Zoë")
        event.customer.lastName = RawPII("Müller Jr.")
        guard case .array(let identifiers)? = (try google(event))["userData"].flatMap({ if case .object(let o) = $0 { o["userIdentifiers"] } else { nil } }),
            case .object(let entry)? = identifiers.last, case .object(let address)? = entry["address"]
        else {
            Issue.record("an address identifier")
            return
        }
        #expect(address["givenName"] == .string(SHA256.hexDigest("zoë")))
        #expect(address["familyName"] == .string(SHA256.hexDigest("müller")))
    }
}
