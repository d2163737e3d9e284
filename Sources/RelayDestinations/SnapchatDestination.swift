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

    public func encode(_ prepared: PreparedEvent, into writer: inout JSONWriter) -> Exclusion? {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "Snapchat", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return exclusion
        }
        let hasMatch =
            prepared.hasIdentifier(.email, for: .snapchat) || prepared.hasIdentifier(.phone, for: .snapchat)
            || prepared.hasContext(.scClickID) || prepared.hasContext(.scCookie1)
            || (prepared.hasContext(.ip) && prepared.hasContext(.userAgent))
        // Snapchat's minimum user data is UNCONFIRMED; an event without any of these cannot match.
        guard hasMatch else {
            return .missingRequiredField("Snapchat needs an email, phone, sc_click_id/sc_cookie1, or IP with user agent")
        }
        // Seconds, as in Snap's own example; milliseconds are UNCONFIRMED (§5).
        writer.fragment(#"{"event_name":"PURCHASE","event_time":"#)
        writer.fragment(prepared.occurredAtDigits)
        writer.fragment(#","event_id":""#)
        writer.eventIDContents(prepared)
        writer.fragment(#"","action_source":"WEB""#)
        prepared.writeContext(.pageURL, member: #","event_source_url":""#, into: &writer)
        writer.fragment(#","user_data":"#)
        let userData = writer.beginMembers()
        // The keys and types of the official v3 SDK's model (Snapchat/business-sdk-v3-java
        // `model/UserData.java`): em, ph, fn, ln, ct, st, zp, country, ge are lists of strings;
        // `external_id` is one string; the model has no `db`, so no birth date is sent.
        // `em`/`ph` rules are documented (§5); the others are UNCONFIRMED and follow Meta's rules,
        // as destinations.md advises.
        writer.hashedUserData(userDataSlots, prepared, for: .snapchat)
        let externalID = prepared.wireSlots(Self.externalIDSlot, for: .snapchat)
        writer.identifierMember(#","external_id":""#, slot: Self.externalIDSlot, in: externalID, of: prepared)
        prepared.writeContext(.ip, member: #","client_ip_address":""#, into: &writer)
        prepared.writeContext(.userAgent, member: #","client_user_agent":""#, into: &writer)
        prepared.writeContext(.scClickID, member: #","sc_click_id":""#, into: &writer)
        prepared.writeContext(.scCookie1, member: #","sc_cookie1":""#, into: &writer)
        writer.endMembers(userData, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
        // Types of the SDK's `model/CustomData.java` and `model/Content.java`: `value` is a
        // BigDecimal (a JSON number, `type: number` in its api/openapi.yaml), `order_id` a
        // string; each content's `id`, `quantity`, `item_price` and `brand` are strings (as in
        // Snap's own example body, UsingTheAPI). The currency is an ISO 4217 code (the decoder
        // checks it) and a number's literal has nothing to escape.
        writer.customDataOpening(prepared)
        if !event.items.isEmpty {
            writer.itemObjects(#","contents":"#, prepared) { writer, item in
                writer.fragment(#""id":""#)
                writer.itemSKUContents(item)
                writer.fragment(#"","quantity":""#)
                writer.quantityLiteral(item.quantity)
                writer.fragment(#"","item_price":""#)
                writer.itemPriceLiteral(item)
                writer.fragment("\"")
                writer.optionalItemStringMember(#","brand":""#, item, .brand)
            }
        }
        writer.fragment("}}")
        return nil
    }

    public func makeRequest(_ events: [PayloadSlice]) -> HTTPRequest {
        var token: [UInt8] = []
        FormURLEncoding.append(configuration.accessToken.unredactedValue.utf8, to: &token)
        let path = configuration.validateOnly ? "events/validate" : "events"
        return HTTPRequest(
            method: "POST",
            url: endpointURL(configuration.endpoint, "/v3/\(configuration.pixelID)/\(path)?access_token=\(String(decoding: token, as: UTF8.self))"),
            headers: [("Content-Type", "application/json")],
            content: HTTPBody(jsonArray: events, prefix: "{\"data\":", suffix: "}"), timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    /// Reads the v3 `EventResponse` (Snapchat/business-sdk-v3-java `api/openapi.yaml`:
    /// `{status: VALID|INVALID, reason, event, errors{codes[], error_msgs[]}}`). `VALID` is
    /// delivered; `INVALID` is not, whatever the HTTP status (the SDK logs a 200 whose status is not
    /// VALID, `util/ConversionUtil.java`); a 2xx without an `EventResponse` counts as delivered,
    /// as HTTP says. An INVALID answer to one event sets that event aside. To several, the request
    /// failed as a whole (Snap's VerifySetUp answers INVALID with HTTP 400; UNCONFIRMED whether the
    /// other events were recorded, so the relay assumes none were): the event the response names
    /// (`event`, the first failing one) is set aside and the others are resent at once; without
    /// an index the batch is split to find the bad events. 429 and 5xx retry; 401/403 are
    /// permanent until the token is fixed.
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        let answer = SnapchatEventResponse(body: response.body)
        let label = "HTTP \(response.status)" + (answer.map { " \($0.summary)" } ?? "")
        switch response.status {
        case 200..<300:
            guard let answer, answer.status == "INVALID" else { return .delivered }
            return invalid(answer, label: label, eventCount: eventCount)
        case 429: return .retryable(reason: "\(label) (rate limited)", retryAfterSeconds: retryAfter)
        case 401: return .rejected(errorClass: "auth", reason: "\(label): access token refused", isolatable: false)
        case 403: return .rejected(errorClass: "permission", reason: "\(label): the token may not send to this pixel", isolatable: false)
        case 400..<500:
            guard let answer, answer.status == "INVALID" else {
                return .rejected(errorClass: "invalid_event", reason: label, isolatable: true)
            }
            return invalid(answer, label: label, eventCount: eventCount)
        default: return .retryable(reason: label, retryAfterSeconds: retryAfter)
        }
    }

    /// An `INVALID` answer: a lone event is set aside; in a batch, the event the answer names is set
    /// aside and the others resent, and a batch whose answer names no event of it is split.
    private func invalid(_ answer: SnapchatEventResponse, label: String, eventCount: Int) -> DeliveryOutcome {
        if eventCount > 1, let failing = answer.failingEvent, (0..<eventCount).contains(failing) {
            return .refused(failing: [failing: label])
        }
        return .rejected(errorClass: "invalid_event", reason: label, isolatable: eventCount > 1)
    }

    /// The hashed list-valued `user_data` keys of the SDK's `UserData` model, in the order written
    /// (no `db`, and `external_id` is written apart, as one string).
    static let hashedUserDataFields: [IdentityField] = [
        .email, .phone, .firstName, .lastName, .city, .state, .postalCode, .country, .gender,
    ]
    /// Their rule slots, worked out with the destination: a stored `static let` is a lazy global,
    /// checked on every access.
    private let userDataSlots = ascendingSlotSet(Self.hashedUserDataFields, for: .snapchat)
    /// The rule slot of `external_id`, written apart (computed: it folds to a constant).
    static var externalIDSlot: UInt64 { IdentityNormalizer.ruleSlotBit(.externalID, for: .snapchat) }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        Redaction.redact(request, secrets: [configuration.accessToken.unredactedValue])
    }
}

/// Snapchat's v3 `EventResponse` (Snapchat/business-sdk-v3-java `api/openapi.yaml`,
/// `model/EventResponse.java`, `model/ErrorDetails.java`), as far as the relay reads it.
public struct SnapchatEventResponse: Sendable, Equatable {
    /// `VALID` or `INVALID`.
    public var status: String
    public var reason: String?
    /// The index of the failing event in the request ("only present in error responses"): that
    /// event is set aside and the others resent (``DeliveryOutcome/refused(failing:)``).
    public var failingEvent: Int?
    /// `errors.codes` and `errors.error_msgs`.
    public var codes: [String]
    public var messages: [String]

    /// `nil` when the body is not a JSON object with a `status` string.
    public init?(body: [UInt8]) {
        guard !body.isEmpty, let root = (try? JSONTape(parsing: body))?.root.object, let status = root["status"]?.string else {
            return nil
        }
        self.status = status
        reason = root["reason"]?.string
        failingEvent = root["event"]?.number?.integer.map(Int.init)
        let errors = root["errors"]?.object
        codes = errors?["codes"]?.array?.compactMap(\.string) ?? []
        messages = errors?["error_msgs"]?.array?.compactMap(\.string) ?? []
    }

    /// `INVALID event 3: CODE: message; …` for logs and the retry envelope (Snapchat's own words,
    /// which name fields, never the values sent).
    public var summary: String {
        var text = status
        if let failingEvent { text += " event \(failingEvent)" }
        let details = zip(codes, messages).map { "\($0): \($1)" } + messages.dropFirst(codes.count)
        if !details.isEmpty {
            text += ": " + details.joined(separator: "; ")
        } else if let reason, status != "VALID" {
            text += ": " + reason
        }
        return text
    }
}
