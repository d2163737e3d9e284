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

    public func encode(_ prepared: PreparedEvent, into writer: inout JSONWriter) -> Exclusion? {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "Pinterest", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return exclusion
        }
        // user_data must contain em, or hashed_maids, or both IP and user agent [§4].
        guard prepared.hasIdentifier(.email, for: .pinterest) || (prepared.hasContext(.ip) && prepared.hasContext(.userAgent)) else {
            return .missingRequiredField("Pinterest needs an email, or both context.ip and context.user_agent")
        }
        writer.fragment(#"{"event_name":"checkout","action_source":"web","event_time":"#)
        writer.fragment(prepared.occurredAtDigits)
        writer.fragment(#","event_id":""#)
        writer.eventIDContents(prepared)
        writer.fragment("\"")
        prepared.writeContext(.pageURL, member: #","event_source_url":""#, into: &writer)
        // `opt_out` (v5/openapi.yaml): for web events, "whether the user has opted out of
        // tracking for web conversion events"; for app events, Limit Ad Tracking or Android's
        // "opted out of Ads Personalization". Tracking uses the shopper's data for ads (the
        // `ad_user_data` choice), and the app wording equates it with refusing personalised
        // ads, so either refusal sets it: the conservative reading. `nil` (not asked) does not.
        if event.consent.adUserData == false || event.consent.adPersonalization == false {
            writer.fragment(#","opt_out":true"#)
        }
        writer.fragment(#","user_data":"#)
        let userData = writer.beginMembers()
        writer.hashedUserData(userDataSlots, prepared, for: .pinterest)
        prepared.writeContext(.ip, member: #","client_ip_address":""#, into: &writer)
        prepared.writeContext(.userAgent, member: #","client_user_agent":""#, into: &writer)
        prepared.writeContext(.epik, member: #","click_id":""#, into: &writer)
        writer.endMembers(userData, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
        // The currency is an ISO 4217 code (the decoder checks it) and a number's literal has
        // nothing to escape. Pinterest takes value and item_price as strings [§4 custom_data].
        writer.fragment(#","custom_data":{"currency":""#)
        writer.unescapedStringContents(event.currency)
        writer.fragment(#"","value":""#)
        writer.unescapedStringContents(event.value.literal)
        writer.fragment(#"","order_id":""#)
        writer.orderIDContents(prepared)
        writer.fragment("\"")
        if !event.items.isEmpty {
            writer.contentIDs(of: prepared)
            writer.itemObjects(#","contents":"#, prepared) { writer, item in
                writer.fragment(#""id":""#)
                writer.itemSKUContents(item)
                writer.fragment(#"","item_price":""#)
                writer.itemPriceLiteral(item)
                writer.fragment(#"","quantity":"#)
                writer.quantityLiteral(item.quantity)
                writer.optionalItemStringMember(#","item_name":""#, item, .name)
                writer.optionalItemStringMember(#","item_category":""#, item, .category)
                writer.optionalItemStringMember(#","item_brand":""#, item, .brand)
            }
            writer.fragment(#","num_items":"#)
            writer.quantityLiteral(totalQuantity(of: event.items))
        }
        // Limited data processing (privacy-law flag) [§4 "Consent / LDP"].
        if event.consent.limitedDataUse == true {
            writer.fragment(#","opt_out_type":"LDP""#)
        }
        writer.fragment("}}")
        return nil
    }

    /// The rule slots of the hashed `user_data` keys (``sharedHashedUserDataFields``), worked out
    /// with the destination: a stored `static let` is a lazy global, checked on every access.
    private let userDataSlots = ascendingSlotSet(sharedHashedUserDataFields, for: .pinterest)

    public func makeRequest(_ events: [PayloadSlice]) -> HTTPRequest {
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
    /// one, the rest are delivered. 422 means "Not all events were successfully processed"
    /// (pinterest/api-description v5/openapi.yaml): its body is a `DetailedError {code, message,
    /// details}` whose `details` the spec types only as an object. When `details` (or the body)
    /// holds one status per event, as a 200 does, only the failed events are set aside and the
    /// processed ones count as delivered, never sent again. When it does not, the relay cannot
    /// tell which events Pinterest processed: the batch is split to find the failures, which may
    /// send processed events again (Pinterest promises deduplication only between its tag and the
    /// API), and the reason says so. 429 and 5xx retry; 400, 401, 403 are permanent
    /// (destinations.md §4 "Errors", "Retry").
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        // The usual 200, every event processed, told without a parse (``PinterestResponseScan``).
        if response.status == 200, PinterestResponseScan.allProcessed(response.body, eventCount: eventCount) { return .delivered }
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        // A 200 holds one status per event (~65 bytes each): read in place, not as a tree.
        let root = (try? JSONTape(parsing: response.body))?.root.object
        let code = root?["code"]?.number?.integer
        let label = "HTTP \(response.status)" + (code.map { " code \($0)" } ?? "")
        switch response.status {
        case 200:
            guard let outcome = Self.perEventOutcome(root?["events"], eventCount: eventCount) else {
                return .retryable(reason: "HTTP 200 without one status per event", retryAfterSeconds: retryAfter)
            }
            return outcome
        case 422:
            let details = root?["details"]?.object
            if let outcome = Self.perEventOutcome(details?["events"] ?? root?["events"], eventCount: eventCount) {
                return outcome
            }
            return .rejected(
                errorClass: "invalid_event",
                reason: "\(label) (not all events processed; the body does not say which, so the batch is split and processed events may be sent again)",
                isolatable: true)
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

    /// The outcome `ConversionApiResponse.events` gives (one `{status, error_message}` per event,
    /// in request order), or `nil` when there is not exactly one status per event.
    static func perEventOutcome(_ events: JSONTape.Value?, eventCount: Int) -> DeliveryOutcome? {
        guard let statuses = events?.array, statuses.count == eventCount else { return nil }
        var rejected: [Int: String] = [:]
        for (index, status) in statuses.enumerated() where status.object?["status"]?.isString("failed") == true {
            // Pinterest's message names the field at fault (the values it read are hashed).
            let message = status.object?["error_message"]?.string
            rejected[index] = "Pinterest reported the event as failed" + (message.map { ": \($0)" } ?? "")
        }
        return rejected.isEmpty ? .delivered : .partial(rejected: rejected)
    }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        Redaction.redact(request, secrets: [configuration.accessToken.unredactedValue])
    }
}
