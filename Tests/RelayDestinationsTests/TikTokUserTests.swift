import RelayCore
import RelayCrypto
import RelayDestinations
import RelayPII
import Testing

/// Issue 21 items 6 and 7: what TikTok's `user` carries (docs/normalization.md "TikTok").
@Suite struct TikTokUserTests {
    func user(_ event: OrderEvent, sendNameAndAddress: Bool = true) throws -> JSONObject {
        var configuration = TikTokDestinationConfiguration(pixelCode: "PIXEL", accessToken: Secret("token"))
        configuration.sendNameAndAddress = sendNameAndAddress
        let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: event.occurredAt.epochSeconds + 60)
        guard case .send(let bytes) = TikTokDestination(configuration: configuration).encode(prepared),
            case .object(let json) = try JSONParser().parse(bytes), case .object(let user)? = json["user"]
        else {
            Issue.record("TikTok sends a user object")
            return JSONObject(members: [])
        }
        return user
    }

    /// Segment (action-destinations tiktok-conversions/reportWebEvent/formatter.ts formatString)
    /// removes every whitespace character and lower-cases names and zip codes before hashing.
    @Test func namesAndZipCodeAreHashedWithoutWhitespace() throws {
        var event = try loadExample("full")
        event.customer.firstName = RawPII(" Mary Ann ")
        event.customer.lastName = RawPII("O'Neil")
        event.customer.postalCode = RawPII("SW1A 1AA")
        event.customer.city = RawPII("New York")
        event.customer.country = RawPII("GB")
        let user = try user(event)
        #expect(user["first_name"] == .string(SHA256.hexDigest("maryann")))
        #expect(user["last_name"] == .string(SHA256.hexDigest("o'neil")))
        #expect(user["zip_code"] == .string(SHA256.hexDigest("sw1a1aa")))
        #expect(user["city"] == .string("newyork"))
        #expect(user["country"] == .string("gb"))
    }

    @Test func theSwitchLeavesNameAndAddressOut() throws {
        let user = try user(try loadExample("full"), sendNameAndAddress: false)
        for key in ["first_name", "last_name", "zip_code", "city", "state", "country"] { #expect(user[key] == nil, "\(key)") }
        #expect(user["email"] != nil && user["phone"] != nil && user["external_id"] != nil)
    }

    /// tiktok/gtm-template-eapi template.tpl: "If the country code is 86, then do not include
    /// country code (example: 13800000000)". Other numbers keep "+" and their country code.
    @Test func chineseNumbersOmitTheCountryCode() throws {
        var event = try loadExample("full")
        event.customer.phone = RawPII("+86 138 0013 8000")
        #expect(try user(event)["phone"] == .string(SHA256.hexDigest("13800138000")))
        event.customer.country = RawPII("CN")
        event.customer.phone = RawPII("138 0013 8000")
        #expect(try user(event)["phone"] == .string(SHA256.hexDigest("13800138000")))
        // Google shares nothing of TikTok's rule: its phone is still E.164 with "+86".
        let google = try IdentityNormalizer().normalize(.phone, RawPII("+86 138 0013 8000"), for: .google)
        #expect(google.normalized.unredactedValue == "+8613800138000")
        event.customer.phone = RawPII("+1 415 555 0123")
        #expect(try user(event)["phone"] == .string(SHA256.hexDigest("+14155550123")))
    }
}
