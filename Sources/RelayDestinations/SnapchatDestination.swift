import RelayCore
import RelayHTTP
import RelayPII

/// Settings of the Snapchat Conversions API v3 destination.
public struct SnapchatDestinationConfiguration: Sendable {
    public var pixelID: String
    /// Long-lived Conversions API token; v3 takes it as the `access_token` query parameter.
    public var accessToken: Secret
    public var endpoint = "https://tr.snapchat.com"
    /// Posts to `/events/validate` instead: validated, not recorded as production conversions.
    public var validateOnly = false
    /// 2,000 per request is UNCONFIRMED (third parties); we stay at 1,000 to be safe.
    public var batchPolicy = BatchPolicy(maximumEvents: 1000)
    public var timeoutMilliseconds = 30_000
    /// Requests per minute this destination may receive from one relay. Snapchat's rate limit is UNCONFIRMED (destinations.md §5): none by default.
    public var requestsPerMinute: Int? = nil
    /// Requests per day this destination may receive from one relay. Snapchat's rate limit is UNCONFIRMED (destinations.md §5): none by default.
    public var requestsPerDay: Int? = nil
    /// Timestamps up to 37 days back are eligible (destinations.md §5 "Event age").
    public var maximumEventAgeSeconds: Int64 = 37 * 86_400

    public static let maximumEventsPerRequest = 2000

    public init(pixelID: String, accessToken: Secret) {
        self.pixelID = pixelID
        self.accessToken = accessToken
    }
}

/// Snapchat Conversions API v3: `POST /v3/{pixel_id}/events?access_token=…`.
public struct SnapchatDestination: ConfiguredDestination {
    public let name = "snapchat"
    public let configuration: SnapchatDestinationConfiguration

    public init(configuration: SnapchatDestinationConfiguration) {
        self.configuration = configuration
    }

    public func encode(_ prepared: PreparedEvent) -> EncodingDecision {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "Snapchat", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return .exclude(exclusion)
        }
        let context = event.context
        let hasMatch =
            prepared.hasIdentifier(.email, for: .snapchat) || prepared.hasIdentifier(.phone, for: .snapchat)
            || prepared.raw(context.scClickID) != nil || prepared.raw(context.scCookie1) != nil
            || (prepared.raw(context.ip) != nil && prepared.raw(context.userAgent) != nil)
        // Snapchat's minimum user data is UNCONFIRMED; an event without any of these cannot match.
        guard hasMatch else {
            return .exclude(.missingRequiredField("Snapchat needs an email, phone, sc_click_id/sc_cookie1, or IP with user agent"))
        }
        return prepared.withScratchWriter { writer in
            writer.beginObject()
            writer.key("event_name"); writer.string("PURCHASE")
            // Seconds, as in Snap's own example; milliseconds are UNCONFIRMED (§5).
            writer.key("event_time"); writer.integer(event.occurredAt.epochSeconds)
            writer.key("event_id"); writer.string(prepared.eventID)
            writer.key("action_source"); writer.string("WEB")
            writer.optionalString("event_source_url", prepared.raw(event.context.pageURL))
            writer.key("user_data")
            writer.beginObject()
            // `em`/`ph` rules are documented (§5); the others are UNCONFIRMED and follow Meta's rules,
            // as destinations.md advises.
            writer.hashedUserData(sharedHashedUserDataFields, prepared, for: .snapchat)
            writer.optionalString("client_ip_address", prepared.raw(event.context.ip))
            writer.optionalString("client_user_agent", prepared.raw(event.context.userAgent))
            writer.optionalString("sc_click_id", prepared.raw(event.context.scClickID))
            writer.optionalString("sc_cookie1", prepared.raw(event.context.scCookie1))
            writer.endObject()
            writer.key("custom_data")
            writer.beginObject()
            writer.key("currency"); writer.string(event.currency)
            writer.key("value"); writer.string(event.value.literal)  // a string in Snap's example body
            writer.key("order_id"); writer.string(event.orderID)
            if !event.items.isEmpty {
                writer.itemObjects("contents", event.items) { writer, item in
                    writer.key("id"); writer.string(item.sku)
                    writer.key("quantity"); writer.integer(item.quantity)
                    writer.key("item_price"); writer.string(item.price.literal)
                    writer.optionalString("brand", item.brand)
                }
            }
            writer.endObject()
            writer.endObject()
            return .send(writer.bytes)
        }
    }

    public func makeRequest(_ events: [[UInt8]]) -> HTTPRequest {
        var token: [UInt8] = []
        FormURLEncoding.append(configuration.accessToken.unredactedValue.utf8, to: &token)
        let path = configuration.validateOnly ? "events/validate" : "events"
        return HTTPRequest(
            method: "POST",
            url: endpointURL(configuration.endpoint, "/v3/\(configuration.pixelID)/\(path)?access_token=\(String(decoding: token, as: UTF8.self))"),
            headers: [("Content-Type", "application/json")],
            content: HTTPBody(jsonArray: events, prefix: "{\"data\":", suffix: "}"), timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    /// v3 response bodies are UNCONFIRMED (destinations.md §5), so only status codes are trusted:
    /// 2xx delivered; 429 and 5xx retry; 401/403 permanent until the token is fixed; any other 4xx
    /// is treated as one bad event failing the request and the batch is split to find it.
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        let label = "HTTP \(response.status)"
        switch response.status {
        case 200..<300: return .delivered
        case 429: return .retryable(reason: "\(label) (rate limited)", retryAfterSeconds: retryAfter)
        case 401, 403: return .rejected(errorClass: "auth", reason: "\(label): token refused", isolatable: false)
        case 400..<500: return .rejected(errorClass: "invalid_event", reason: label, isolatable: true)
        default: return .retryable(reason: label, retryAfterSeconds: retryAfter)
        }
    }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        Redaction.redact(request, secrets: [configuration.accessToken.unredactedValue])
    }
}
