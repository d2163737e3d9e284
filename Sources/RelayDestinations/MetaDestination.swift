import RelayCore
import RelayHTTP
import RelayPII

/// Settings of the Meta Conversions API destination.
public struct MetaDestinationConfiguration: Sendable {
    public var pixelID: String
    public var accessToken: Secret
    /// Graph API version; the official SDK 26.0.3 pins v26.0 (destinations.md §1).
    public var apiVersion: String = "v26.0"
    /// Base URL, overridable for proxies and the sandbox.
    public var endpoint: String = "https://graph.facebook.com"
    /// Routes events to Events Manager's Test Events tool. Remove in production.
    public var testEventCode: String?
    /// `website` (the default) requires `client_user_agent` and `event_source_url` per event.
    public var actionSource: String = "website"
    public var batchPolicy = BatchPolicy(maximumEvents: 1000)
    public var timeoutMilliseconds = 30_000
    /// Requests per minute this destination may receive from one relay. Meta publishes no Conversions API rate limit (UNCONFIRMED, destinations.md §1): none by default.
    public var requestsPerMinute: Int? = nil
    /// Requests per day this destination may receive from one relay. Meta publishes no daily limit (UNCONFIRMED, destinations.md §1): none by default.
    public var requestsPerDay: Int? = nil

    public init(pixelID: String, accessToken: Secret) {
        self.pixelID = pixelID
        self.accessToken = accessToken
    }

    /// Meta's documented limit: at most 1,000 events per request (destinations.md §1 "Limits").
    public static let maximumEventsPerRequest = 1000
    /// Events older than 7 days fail the whole request (destinations.md §1 "Event age").
    public static let maximumEventAgeSeconds: Int64 = 7 * 86_400
}

/// Meta Conversions API: `POST https://graph.facebook.com/{version}/{pixel_id}/events`.
///
/// The body is `multipart/form-data` with `data` holding the JSON array of events and
/// `access_token` as a field, exactly as Meta's documented curl example (`-F`); a JSON body on
/// graph.facebook.com is UNCONFIRMED in destinations.md §1, so we do not rely on it. The token
/// never appears in the URL.
public struct MetaDestination: ConfiguredDestination {
    public let name = "meta"
    public let configuration: MetaDestinationConfiguration
    /// `","action_source":"<configured>"` (closing the event id's string), escaped once.
    private let actionSourceMember: [UInt8]

    public init(configuration: MetaDestinationConfiguration) {
        self.configuration = configuration
        actionSourceMember = Array(#"","action_source":"#.utf8) + quotedFragment(configuration.actionSource)
    }

    public func encode(_ prepared: PreparedEvent, into writer: inout JSONWriter) -> Exclusion? {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(
            platform: "Meta", maximumAgeSeconds: MetaDestinationConfiguration.maximumEventAgeSeconds)
        {
            return exclusion
        }
        let isWebsite = configuration.actionSource == "website"
        if isWebsite, !prepared.hasContext(.userAgent) {
            return .missingRequiredField("context.user_agent is required for Meta website events")
        }
        if isWebsite, !prepared.hasContext(.pageURL) {
            return .missingRequiredField("context.page_url is required for Meta website events (event_source_url)")
        }

        let start = writer.count
        writer.fragment(#"{"event_name":"Purchase","event_time":"#)
        writer.fragment(prepared.occurredAtDigits)
        writer.fragment(#","event_id":""#)
        writer.eventIDContents(prepared)
        writer.fragment(actionSourceMember)
        prepared.writeContext(.pageURL, member: #","event_source_url":""#, into: &writer)

        writer.fragment(#","user_data":"#)
        let userData = writer.beginMembers()
        // Hashed keys [destinations.md §1 normalization table].
        var presentKeys = writer.hashedUserData(userDataSlots, prepared, for: .meta)
        // Never hashed [destinations.md §1]: IP, user agent, fbc, fbp. One call each, not a
        // loop over an array literal: that array copied the four values and was destroyed
        // per event.
        func plain(_ member: StaticString, _ field: ContextField, _ bit: UserDataKeys) {
            if prepared.writeContext(field, member: member, into: &writer) { presentKeys.insert(bit) }
        }
        plain(#","client_ip_address":""#, .ip, .clientIPAddress)
        plain(#","client_user_agent":""#, .userAgent, .clientUserAgent)
        plain(#","fbc":""#, .fbc, .fbc)
        plain(#","fbp":""#, .fbp, .fbp)
        writer.endMembers(userData, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))

        if let problem = Self.insufficientCustomerInformation(presentKeys) {
            writer.truncate(to: start)
            return Exclusion(reason: "insufficient_customer_information", detail: problem, deadLetter: true)
        }

        writer.customDataOpening(prepared)
        if !event.items.isEmpty {
            writer.fragment(#","content_type":"product""#)
            writer.contentIDs(of: prepared)
            writer.itemObjects(#","contents":"#, prepared) { writer, item in
                writer.fragment(#""id":""#)
                writer.itemSKUContents(item)
                writer.fragment(#"","quantity":"#)
                writer.quantityLiteral(item.quantity)
                writer.fragment(#","item_price":"#)
                writer.itemPriceLiteral(item)
                writer.optionalItemStringMember(#","brand":""#, item, .brand)
                writer.optionalItemStringMember(#","category":""#, item, .category)
            }
            writer.fragment(#","num_items":"#)
            writer.quantityLiteral(totalQuantity(of: event.items))
        }
        writer.fragment("}")

        // Limited Data Use: ["LDU"] with country and state 0 = let Meta geolocate
        // [destinations.md §1 "Consent / LDU"].
        if event.consent.limitedDataUse == true {
            writer.fragment(
                #","data_processing_options":["LDU"],"data_processing_options_country":0,"data_processing_options_state":0"#)
        }
        writer.fragment("}")
        return nil
    }

    /// The rule slots of the hashed `user_data` keys (``sharedHashedUserDataFields``), worked out
    /// with the destination: a stored `static let` is a lazy global, checked on every access.
    private let userDataSlots = ascendingSlotSet(sharedHashedUserDataFields, for: .meta)

    /// Meta rejects a *whole request* when one event's customer information is only a subset of
    /// {ct, country, st, zp, ge, client_user_agent}, {db, client_user_agent}, {fn, ge} or {ln, ge}
    /// [destinations.md §1], so such an event is held back instead of sinking its batch.
    private static let weakSets: [UserDataKeys] = [
        [UserDataKeys(.city), UserDataKeys(.country), UserDataKeys(.state), UserDataKeys(.postalCode), UserDataKeys(.gender), .clientUserAgent],
        [UserDataKeys(.dateOfBirth), .clientUserAgent], [UserDataKeys(.firstName), UserDataKeys(.gender)],
        [UserDataKeys(.lastName), UserDataKeys(.gender)],
    ]

    static func insufficientCustomerInformation(_ keys: UserDataKeys) -> String? {
        let identifying = keys.subtracting(.clientIPAddress)
        let weakSets = Self.weakSets
        let strongWithIP = keys.contains(.clientIPAddress) && keys.contains(.clientUserAgent)
        if !strongWithIP, identifying.isEmpty || weakSets.contains(where: { identifying.isSubset(of: $0) }) {
            return "customer information is too weak for Meta to match (needs email, phone, external id, fbp/fbc, or IP with user agent)"
        }
        return nil
    }

    /// `data`, `access_token` and `test_event_code` as `multipart/form-data` fields, as Meta's
    /// example sends them (`curl -X POST -F 'data=[…]' -F 'access_token=…'`,
    /// developers.facebook.com/documentation/ads-commerce/conversions-api/using-the-api, "Send
    /// Requests"). The events go as they were encoded, piece by piece (``HTTPBody``): URL-encoding
    /// them tripled every `"`, `:` and `,` in a copy of each ~1 MB batch.
    ///
    /// The delimiter (CRLF, `--`, boundary) cannot occur inside `data`: the encoders write JSON,
    /// which escapes every control character, so it holds no line break; and the boundary is
    /// chosen so it occurs in neither the token nor the test code (``multipartBoundary``).
    public func makeRequest(_ events: [PayloadSlice]) -> HTTPRequest {
        let boundary = multipartBoundary
        func field(_ name: String) -> String {
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n"
        }
        var suffix = "\r\n" + field("access_token") + configuration.accessToken.unredactedValue
        if let code = configuration.testEventCode { suffix += "\r\n" + field("test_event_code") + code }
        suffix += "\r\n--\(boundary)--\r\n"
        return HTTPRequest(
            method: "POST", url: endpointURL(configuration.endpoint, "/\(configuration.apiVersion)/\(configuration.pixelID)/events"),
            headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
            content: HTTPBody(jsonArray: events, prefix: field("data"), suffix: suffix),
            timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    /// A multipart boundary that occurs in neither the access token nor the test event code.
    var multipartBoundary: String {
        var boundary = Self.boundaryBase
        while configuration.accessToken.unredactedValue.contains(boundary) || configuration.testEventCode?.contains(boundary) == true {
            boundary += "x"
        }
        return boundary
    }

    /// The boundary unless the token or test code holds it (then it grows `x` by `x`).
    public static let boundaryBase = "conversion-relay-7c4e19b2a05d"

    /// Reads Meta's answer [destinations.md §1 "Retry vs permanent"]: codes 1, 2 and
    /// `is_transient` retry; 4, 17, 341, 613 are throttling; 368 is a temporary block; 190/102
    /// (token) and 10, 200–299 (permission) are permanent until fixed; 100 (invalid parameter)
    /// is a permanent rejection of the whole batch, which one bad event can cause.
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        let document = try? JSONParser().parse(response.body)
        if response.status == 200 {
            if case .object(let object)? = document, case .number(let received)? = object["events_received"],
                received.integer == Int64(eventCount)
            {
                return .delivered
            }
            return .retryable(reason: "HTTP 200 without events_received == \(eventCount)", retryAfterSeconds: retryAfter)
        }
        guard case .object(let root)? = document, case .object(let error)? = root["error"],
            case .number(let codeNumber)? = error["code"], let code = codeNumber.integer
        else {
            if response.status == 429 || response.status >= 500 {
                return .retryable(reason: "HTTP \(response.status)", retryAfterSeconds: retryAfter)
            }
            return .rejected(errorClass: "http_\(response.status)", reason: "HTTP \(response.status) without a Graph error body", isolatable: false)
        }
        var subcode: Int64? = nil
        if case .number(let number)? = error["error_subcode"] { subcode = number.integer }
        var isTransient = false
        if case .bool(let flag)? = error["is_transient"] { isTransient = flag }
        let label = "Graph error code \(code)" + (subcode.map { " subcode \($0)" } ?? "")
        switch code {
        case 4, 17, 341, 613:
            return .retryable(reason: "\(label) (throttled)", retryAfterSeconds: retryAfter)
        case 1, 2, 368:
            return .retryable(reason: "\(label) (temporary)", retryAfterSeconds: retryAfter)
        case 190, 102, 104:
            return .rejected(errorClass: "auth", reason: "\(label): access token invalid or expired", isolatable: false)
        case 10, 200...299:
            return .rejected(errorClass: "permission", reason: "\(label): permission denied", isolatable: false)
        default:
            if isTransient || response.status >= 500 {
                return .retryable(reason: "\(label) (transient)", retryAfterSeconds: retryAfter)
            }
            if code == 100 && subcode == 33 {
                return .rejected(errorClass: "configuration", reason: "\(label): pixel id does not exist", isolatable: false)
            }
            return .rejected(errorClass: "invalid_event", reason: label, isolatable: code == 100)
        }
    }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        Redaction.redact(request, secrets: [configuration.accessToken.unredactedValue])
    }
}
