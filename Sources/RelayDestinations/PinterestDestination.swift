import RelayCore
import RelayHTTP
import RelayPII

/// Settings of the Pinterest Conversions API destination.
public struct PinterestDestinationConfiguration: Sendable {
    /// Ad account id (digits, at most 18).
    public var adAccountID: String
    /// Conversion access token from Ads Manager (`Authorization: Bearer`).
    public var accessToken: Secret
    public var endpoint = "https://api.pinterest.com"
    /// `?test=true`: validated and answered normally, not recorded.
    public var testMode = false
    public var batchPolicy = BatchPolicy(maximumEvents: 1000)
    public var timeoutMilliseconds = 30_000
    /// Requests per minute this destination may receive from one relay. Pinterest: 5,000 calls/min per ad account (destinations.md §4).
    public var requestsPerMinute: Int? = 5000
    /// Requests per day this destination may receive from one relay. Pinterest documents a per-minute limit only (destinations.md §4): none by default.
    public var requestsPerDay: Int? = nil
    /// Pinterest's hard limit is UNCONFIRMED (events over an hour late count as offline);
    /// 7 days is our conservative ceiling.
    public var maximumEventAgeSeconds: Int64 = 7 * 86_400

    public static let maximumEventsPerRequest = 1000

    public init(adAccountID: String, accessToken: Secret) {
        self.adAccountID = adAccountID
        self.accessToken = accessToken
    }
}

/// Pinterest Conversions API v5: `POST /v5/ad_accounts/{id}/events`, per-event statuses.
public struct PinterestDestination: ConfiguredDestination {
    public let name = "pinterest"
    public let configuration: PinterestDestinationConfiguration

    public init(configuration: PinterestDestinationConfiguration) {
        self.configuration = configuration
    }

    public func encode(_ prepared: PreparedEvent) -> EncodingDecision {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "Pinterest", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return .exclude(exclusion)
        }
        let ip = prepared.raw(event.context.ip)
        let userAgent = prepared.raw(event.context.userAgent)
        // user_data must contain em, or hashed_maids, or both IP and user agent [§4].
        guard prepared.hasIdentifier(.email, for: .pinterest) || (ip != nil && userAgent != nil) else {
            return .exclude(.missingRequiredField("Pinterest needs an email, or both context.ip and context.user_agent"))
        }
        return prepared.withScratchWriter { writer in
            writer.beginObject()
            writer.key("event_name"); writer.string("checkout")
            writer.key("action_source"); writer.string("web")
            writer.key("event_time"); writer.integer(event.occurredAt.epochSeconds)
            writer.key("event_id"); writer.string(prepared.eventID)
            writer.optionalString("event_source_url", prepared.raw(event.context.pageURL))
            // Opt-out: the shopper refused personalised advertising.
            if event.consent.adPersonalization == false {
                writer.key("opt_out"); writer.bool(true)
            }
            writer.key("user_data")
            writer.beginObject()
            writer.hashedUserData(sharedHashedUserDataFields, prepared, for: .pinterest)
            writer.optionalString("client_ip_address", ip)
            writer.optionalString("client_user_agent", userAgent)
            writer.optionalString("click_id", prepared.raw(event.context.epik))
            writer.endObject()
            writer.key("custom_data")
            writer.beginObject()
            writer.key("currency"); writer.string(event.currency)
            // Pinterest takes value and item_price as strings [§4 custom_data].
            writer.key("value"); writer.string(event.value.literal)
            writer.key("order_id"); writer.string(event.orderID)
            if !event.items.isEmpty {
                writer.contentIDs(of: event.items)
                writer.itemObjects("contents", event.items) { writer, item in
                    writer.key("id"); writer.string(item.sku)
                    writer.key("item_price"); writer.string(item.price.literal)
                    writer.key("quantity"); writer.integer(item.quantity)
                    writer.optionalString("item_name", item.name)
                    writer.optionalString("item_category", item.category)
                    writer.optionalString("item_brand", item.brand)
                }
                writer.key("num_items"); writer.integer(event.items.reduce(0) { $0 + $1.quantity })
            }
            // Limited data processing (privacy-law flag) [§4 "Consent / LDP"].
            if event.consent.limitedDataUse == true {
                writer.key("opt_out_type"); writer.string("LDP")
            }
            writer.endObject()
            writer.endObject()
            return .send(writer.bytes)
        }
    }

    public func makeRequest(_ events: [[UInt8]]) -> HTTPRequest {
        return HTTPRequest(
            method: "POST",
            url: endpointURL(configuration.endpoint, "/v5/ad_accounts/\(configuration.adAccountID)/events")
                + (configuration.testMode ? "?test=true" : ""),
            headers: [
                ("Content-Type", "application/json"), ("Authorization", "Bearer \(configuration.accessToken.unredactedValue)"),
            ],
            content: HTTPBody(jsonArray: events, prefix: "{\"data\":", suffix: "}"), timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    /// 200 carries one status per event, in request order: `failed` events are rejected one by
    /// one, the rest are delivered. 422 (not all processed) has a body whose per-event content is
    /// UNCONFIRMED, so the batch is split to find the failures. 429 and 5xx retry; 400, 401, 403
    /// are permanent (destinations.md §4 "Errors", "Retry").
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        // A 200 holds one status per event (~65 bytes each): read in place, not as a tree.
        let root = (try? JSONTape(parsing: response.body))?.root.object
        let code = root?["code"]?.number?.integer
        let label = "HTTP \(response.status)" + (code.map { " code \($0)" } ?? "")
        switch response.status {
        case 200:
            guard let statuses = root?["events"]?.array, statuses.count == eventCount else {
                return .retryable(reason: "HTTP 200 without one status per event", retryAfterSeconds: retryAfter)
            }
            var rejected: [Int: String] = [:]
            for (index, status) in statuses.enumerated() where status.object?["status"]?.isString("failed") == true {
                rejected[index] = "Pinterest reported the event as failed"
            }
            return rejected.isEmpty ? .delivered : .partial(rejected: rejected)
        case 422: return .rejected(errorClass: "invalid_event", reason: "\(label) (not all events processed)", isolatable: true)
        case 429: return .retryable(reason: "\(label) (rate limited)", retryAfterSeconds: retryAfter)
        case 401: return .rejected(errorClass: "auth", reason: "\(label): authentication failed", isolatable: false)
        case 403: return .rejected(errorClass: "permission", reason: label, isolatable: false)
        case 400: return .rejected(errorClass: "invalid_event", reason: label, isolatable: true)
        default:
            return response.status >= 500
                ? .retryable(reason: label, retryAfterSeconds: retryAfter)
                : .rejected(errorClass: "http_\(response.status)", reason: label, isolatable: false)
        }
    }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        Redaction.redact(request, secrets: [configuration.accessToken.unredactedValue])
    }
}
