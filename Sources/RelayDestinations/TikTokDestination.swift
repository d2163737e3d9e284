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

    public init(configuration: TikTokDestinationConfiguration) {
        self.configuration = configuration
    }

    public func encode(_ prepared: PreparedEvent) -> EncodingDecision {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "TikTok", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return .exclude(exclusion)
        }
        let hasHashedIdentifier =
            prepared.hasIdentifier(.email, for: .tiktok) || prepared.hasIdentifier(.phone, for: .tiktok)
            || prepared.hasIdentifier(.externalID, for: .tiktok)
        let context = event.context
        let hasBrowserMatch =
            prepared.raw(context.ttclid) != nil || prepared.raw(context.ttp) != nil
            || (prepared.raw(context.ip) != nil && prepared.raw(context.userAgent) != nil)
        // Whether TikTok accepts an event with an empty `user` is UNCONFIRMED, and it could not be
        // attributed anyway: hold it back with a reason instead.
        guard hasHashedIdentifier || hasBrowserMatch else {
            return .exclude(.missingRequiredField("TikTok needs an email, phone, external id, ttclid/ttp, or IP with user agent"))
        }
        return prepared.withScratchWriter { writer in
            writer.beginObject()
            writer.key("event"); writer.string(configuration.eventName)
            writer.key("event_time"); writer.integer(event.occurredAt.epochSeconds)
            writer.key("event_id"); writer.string(prepared.eventID)
            writer.key("user")
            writer.beginObject()
            // Hashed, as plain strings [destinations.md §3 body]: email, phone (E.164 with +, +86
            // without its country code), external_id.
            writer.optionalIdentifier("email", .email, of: prepared, for: .tiktok)
            writer.optionalIdentifier("phone", .phone, of: prepared, for: .tiktok)
            writer.optionalIdentifier("external_id", .externalID, of: prepared, for: .tiktok)
            if configuration.sendNameAndAddress {
                // Hashed first_name, last_name, zip_code; plain city, state, country, as Segment
                // (action-destinations tiktok-conversions/reportWebEvent/utils.ts getUser) and Stape
                // (stape-io/tiktok-tag template.js) send them; rules in IdentityNormalizer.
                writer.optionalIdentifier("first_name", .firstName, of: prepared, for: .tiktok)
                writer.optionalIdentifier("last_name", .lastName, of: prepared, for: .tiktok)
                writer.optionalIdentifier("zip_code", .postalCode, of: prepared, for: .tiktok)
                writer.optionalIdentifier("city", .city, of: prepared, for: .tiktok)
                writer.optionalIdentifier("state", .state, of: prepared, for: .tiktok)
                writer.optionalIdentifier("country", .country, of: prepared, for: .tiktok)
            }
            // Never hashed: ttclid, ttp, ip, user_agent.
            writer.optionalString("ttclid", prepared.raw(event.context.ttclid))
            writer.optionalString("ttp", prepared.raw(event.context.ttp))
            writer.optionalString("ip", prepared.raw(event.context.ip))
            writer.optionalString("user_agent", prepared.raw(event.context.userAgent))
            writer.endObject()
            if let url = prepared.raw(event.context.pageURL) {
                writer.key("page")
                writer.beginObject()
                writer.key("url"); writer.string(url)
                writer.endObject()
            }
            writer.key("properties")
            writer.beginObject()
            if !event.items.isEmpty {
                writer.itemObjects("contents", event.items) { writer, item in
                    writer.key("content_id"); writer.string(item.sku)
                    writer.key("content_type"); writer.string("product")
                    writer.optionalString("content_name", item.name)
                    writer.optionalString("content_category", item.category)
                    writer.optionalString("brand", item.brand)
                    writer.key("price"); writer.number(item.price)
                    writer.key("quantity"); writer.integer(item.quantity)
                }
                writer.key("content_type"); writer.string("product")
            }
            writer.key("currency"); writer.string(event.currency)
            writer.key("value"); writer.number(event.value)
            writer.key("order_id"); writer.string(event.orderID)
            writer.endObject()
            // Per-event limited data use (destinations.md §3 "Consent").
            writer.key("limited_data_use"); writer.bool(event.consent.limitedDataUse == true)
            writer.endObject()
            return .send(writer.bytes)
        }
    }

    public func makeRequest(_ events: [[UInt8]]) -> HTTPRequest {
        var head = JSONWriter()
        head.beginObject()
        head.key("event_source"); head.string("web")
        head.key("event_source_id"); head.string(configuration.pixelCode)
        head.optionalString("test_event_code", configuration.testEventCode)
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
