import RelayCore
import RelayHTTP
import RelayPII

/// Settings of the TikTok Events API 2.0 destination.
public struct TikTokDestinationConfiguration: Sendable {
    /// The pixel code (`event_source_id`).
    public var pixelCode: String
    public var accessToken: Secret
    public var endpoint = "https://business-api.tiktok.com"
    public var testEventCode: String?
    /// `Purchase` is in TikTok's current standard-event list; older pixels use `CompletePayment`.
    /// Must match the browser pixel's event name for deduplication (destinations.md §3).
    public var eventName = "Purchase"
    /// 1,000 per request is UNCONFIRMED (third parties only), so it is also our ceiling.
    public var batchPolicy = BatchPolicy(maximumEvents: 1000)
    public var timeoutMilliseconds = 30_000
    /// Requests per minute this destination may receive from one relay. TikTok's rate limit is UNCONFIRMED (destinations.md §3): none by default.
    public var requestsPerMinute: Int? = nil
    /// Requests per day this destination may receive from one relay. TikTok's rate limit is UNCONFIRMED (destinations.md §3): none by default.
    public var requestsPerDay: Int? = nil
    /// TikTok's oldest accepted event is UNCONFIRMED; 7 days matches the strictest documented
    /// platform and keeps events inside the 48 h dedup window's useful range.
    public var maximumEventAgeSeconds: Int64 = 7 * 86_400
    /// Whether `user` carries the hashed first and last name and zip code, and the plain city,
    /// state and country (on by default: they raise match rates, and integrations in wide use
    /// send them; docs/normalization.md "TikTok"). Off: email, phone and external id only.
    public var sendNameAndAddress = true

    public static let maximumEventsPerRequest = 1000

    public init(pixelCode: String, accessToken: Secret) {
        self.pixelCode = pixelCode
        self.accessToken = accessToken
    }
}

/// TikTok Events API 2.0: `POST /open_api/v1.3/event/track/`, header `Access-Token`.
/// Success and failure travel in the body's `code` (0 = OK), whatever the HTTP status.
public struct TikTokDestination: ConfiguredDestination {
    public let name = "tiktok"
    public let configuration: TikTokDestinationConfiguration
    /// `{"event":"<configured name>","event_time":`, escaped once.
    private let eventHead: [UInt8]

    public init(configuration: TikTokDestinationConfiguration) {
        self.configuration = configuration
        eventHead = Array(#"{"event":"#.utf8) + quotedFragment(configuration.eventName) + Array(#","event_time":"#.utf8)
    }

    public func encode(_ prepared: PreparedEvent, into writer: inout JSONWriter) -> Exclusion? {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "TikTok", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return exclusion
        }
        let hasHashedIdentifier = prepared.presentSlots(Self.matchSlots, for: .tiktok) != 0
        let hasBrowserMatch =
            prepared.hasContext(.ttclid) || prepared.hasContext(.ttp) || (prepared.hasContext(.ip) && prepared.hasContext(.userAgent))
        // Whether TikTok accepts an event with an empty `user` is UNCONFIRMED, and it could not be
        // attributed anyway: hold it back with a reason instead.
        guard hasHashedIdentifier || hasBrowserMatch else {
            return .missingRequiredField("TikTok needs an email, phone, external id, ttclid/ttp, or IP with user agent")
        }
        writer.fragment(eventHead)
        writer.fragment(prepared.occurredAtDigits)
        writer.fragment(#","event_id":""#)
        writer.eventIDContents(prepared)
        writer.fragment(#"","user":"#)
        writeUser(prepared, into: &writer)
        prepared.writeContext(.pageURL, member: #","page":{"url":""#, closing: #""}"#, into: &writer)
        writer.fragment(#","properties":{"#)
        if !event.items.isEmpty {
            writer.itemObjects(#""contents":"#, prepared) { writer, item in
                writer.fragment(#""content_id":""#)
                writer.itemSKUContents(item)
                writer.fragment(#"","content_type":"product""#)
                writer.optionalItemStringMember(#","content_name":""#, item, .name)
                writer.optionalItemStringMember(#","content_category":""#, item, .category)
                writer.optionalItemStringMember(#","brand":""#, item, .brand)
                writer.fragment(#","price":"#)
                writer.itemPriceLiteral(item)
                writer.fragment(#","quantity":"#)
                writer.quantityLiteral(item.quantity)
            }
            writer.fragment(#","content_type":"product","#)
        }
        // The currency is an ISO 4217 code (the decoder checks it): nothing to escape.
        writer.fragment(#""currency":""#)
        writer.unescapedStringContents(event.currency)
        writer.fragment(#"","value":"#)
        writer.numberLiteral(event.value)
        writer.fragment(#","order_id":""#)
        writer.orderIDContents(prepared)
        // Per-event limited data use (destinations.md §3 "Consent").
        writer.fragment(
            event.consent.limitedDataUse == true ? #""},"limited_data_use":true}"# : #""},"limited_data_use":false}"#)
        return nil
    }

    /// Writes the `user` object. A function of its own: in the encoder's body, inlining its
    /// members pushed the items' writing out of line.
    private func writeUser(_ prepared: PreparedEvent, into writer: inout JSONWriter) {
        let user = writer.beginMembers()
        // Hashed, as plain strings [destinations.md §3 body]: email, phone (E.164 with +, +86
        // without its country code), external_id.
        let sendsNameAndAddress = configuration.sendNameAndAddress
        let wire = prepared.wireSlots(sendsNameAndAddress ? Self.userSlots : Self.matchSlots, for: .tiktok)
        writer.identifierMember(#","email":""#, slot: UserSlot.email, in: wire, of: prepared)
        writer.identifierMember(#","phone":""#, slot: UserSlot.phone, in: wire, of: prepared)
        writer.identifierMember(#","external_id":""#, slot: UserSlot.externalID, in: wire, of: prepared)
        if sendsNameAndAddress {
            // Hashed first_name, last_name, zip_code; plain city, state, country, as Segment
            // (action-destinations tiktok-conversions/reportWebEvent/utils.ts getUser) and Stape
            // (stape-io/tiktok-tag template.js) send them; rules in IdentityNormalizer.
            writer.identifierMember(#","first_name":""#, slot: UserSlot.firstName, in: wire, of: prepared)
            writer.identifierMember(#","last_name":""#, slot: UserSlot.lastName, in: wire, of: prepared)
            writer.identifierMember(#","zip_code":""#, slot: UserSlot.postalCode, in: wire, of: prepared)
            writer.identifierMember(#","city":""#, slot: UserSlot.city, in: wire, of: prepared)
            writer.identifierMember(#","state":""#, slot: UserSlot.state, in: wire, of: prepared)
            writer.identifierMember(#","country":""#, slot: UserSlot.country, in: wire, of: prepared)
        }
        // Never hashed: ttclid, ttp, ip, user_agent.
        prepared.writeContext(.ttclid, member: #","ttclid":""#, into: &writer)
        prepared.writeContext(.ttp, member: #","ttp":""#, into: &writer)
        prepared.writeContext(.ip, member: #","ip":""#, into: &writer)
        prepared.writeContext(.userAgent, member: #","user_agent":""#, into: &writer)
        writer.endMembers(user, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
    }

    /// The rule-slot bit of each `user` identifier (``IdentityNormalizer/ruleSlotBit(_:for:)``):
    /// computed, so each folds to a constant where it is used (a stored `static let` is a lazy
    /// global, checked on every access).
    private enum UserSlot {
        static var email: UInt64 { IdentityNormalizer.ruleSlotBit(.email, for: .tiktok) }
        static var phone: UInt64 { IdentityNormalizer.ruleSlotBit(.phone, for: .tiktok) }
        static var externalID: UInt64 { IdentityNormalizer.ruleSlotBit(.externalID, for: .tiktok) }
        static var firstName: UInt64 { IdentityNormalizer.ruleSlotBit(.firstName, for: .tiktok) }
        static var lastName: UInt64 { IdentityNormalizer.ruleSlotBit(.lastName, for: .tiktok) }
        static var postalCode: UInt64 { IdentityNormalizer.ruleSlotBit(.postalCode, for: .tiktok) }
        static var city: UInt64 { IdentityNormalizer.ruleSlotBit(.city, for: .tiktok) }
        static var state: UInt64 { IdentityNormalizer.ruleSlotBit(.state, for: .tiktok) }
        static var country: UInt64 { IdentityNormalizer.ruleSlotBit(.country, for: .tiktok) }
    }

    /// The rule slots of the hashed identifiers that can match an event alone.
    static var matchSlots: UInt64 { UserSlot.email | UserSlot.phone | UserSlot.externalID }
    /// The rule slots of every identifier `user` carries when names and addresses are sent.
    static var userSlots: UInt64 {
        matchSlots | UserSlot.firstName | UserSlot.lastName | UserSlot.postalCode | UserSlot.city | UserSlot.state | UserSlot.country
    }

    public func makeRequest(_ events: [PayloadSlice]) -> HTTPRequest {
        var head = JSONWriter()
        head.beginObject()
        head.key("event_source"); head.string("web")
        head.key("event_source_id"); head.string(configuration.pixelCode)
        if let code = configuration.testEventCode {
            head.key("test_event_code"); head.string(code)
        }
        let prefix = String(decoding: head.bytes, as: UTF8.self) + ",\"data\":"
        return HTTPRequest(
            method: "POST", url: endpointURL(configuration.endpoint, "/open_api/v1.3/event/track/"),
            headers: [("Content-Type", "application/json"), ("Access-Token", configuration.accessToken.unredactedValue)],
            content: HTTPBody(jsonArray: events, prefix: prefix, suffix: "}"), timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    /// Reads `code` (destinations.md §3 "Response / errors", "Retry"): 0 delivered; 40100, 61000,
    /// 50000, 50002, 51xxx, 60001 and HTTP 429/5xx retry; 401xx token errors are permanent until
    /// the token is fixed; 4000x and 40062 (PII not hashed) reject the request. 20001 (partial)
    /// reports some events failed, but the per-event format is UNCONFIRMED, so the batch is split
    /// to find them; events TikTok already accepted are repeated with the same event_id, which its
    /// 48 h deduplication removes.
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        guard case .object(let root)? = try? JSONParser().parse(response.body), case .number(let number)? = root["code"],
            let code = number.integer
        else {
            if response.status == 429 || response.status >= 500 {
                return .retryable(reason: "HTTP \(response.status)", retryAfterSeconds: retryAfter)
            }
            return .rejected(errorClass: "http_\(response.status)", reason: "HTTP \(response.status) without a TikTok body", isolatable: false)
        }
        let label = "TikTok code \(code)"
        switch code {
        case 0: return .delivered
        case 20001: return .rejected(errorClass: "partial_failure", reason: "\(label) (partial success)", isolatable: true)
        case 40100, 61000: return .retryable(reason: "\(label) (rate limited)", retryAfterSeconds: retryAfter)
        case 50000, 50002, 60001, 51000..<52000: return .retryable(reason: "\(label) (temporary)", retryAfterSeconds: retryAfter)
        case 40001: return .rejected(errorClass: "permission", reason: label, isolatable: false)
        case 40100..<40200: return .rejected(errorClass: "auth", reason: "\(label): access token invalid or expired", isolatable: false)
        default:
            if response.status == 429 || response.status >= 500 {
                return .retryable(reason: label, retryAfterSeconds: retryAfter)
            }
            return .rejected(errorClass: "invalid_event", reason: label, isolatable: true)
        }
    }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        Redaction.redact(request, secrets: [configuration.accessToken.unredactedValue])
    }
}
