import RelayCore
import RelayHTTP
import RelayPII

/// Settings of the Google destination (Data Manager API, `events:ingest`).
public struct GoogleDestinationConfiguration: Sendable {
    /// The Google Ads account that owns the conversion action (10 digits, no dashes).
    public var operatingAccountID: String
    /// The manager account used to log in, when different.
    public var loginAccountID: String?
    /// The conversion action id (type WEBPAGE for multi-source tag conversions).
    public var conversionActionID: String
    /// Where access tokens come from (a value until the service gives it its HTTP client).
    public var credentials: GoogleCredentials
    public var endpoint = "https://datamanager.googleapis.com"
    /// Validate without ingesting (Data Manager's test mode).
    public var validateOnly = false
    public var batchPolicy = BatchPolicy(maximumEvents: 2000)
    public var timeoutMilliseconds = 30_000
    /// Requests per minute this destination may receive from one relay. Data Manager: 300 requests/min per Cloud project (destinations.md §2 "Limits").
    public var requestsPerMinute: Int? = 300
    /// Requests per day this destination may receive from one relay. Data Manager: 100,000 a day
    /// per Cloud project (destinations.md §2 "Limits"; developers.google.com/data-manager/api/limits).
    /// Unpaced, a steady trickle of orders at the default 200 ms linger would send 432,000 a day
    /// and be refused for the rest of the day after ~5.5 hours.
    public var requestsPerDay: Int? = 100_000
    /// Oldest event sent. Data Manager's limit for online multi-source conversions is UNCONFIRMED
    /// (an `EVENT_TOO_OLD` error exists, destinations.md §2), so the default is conservative.
    public var maximumEventAgeSeconds: Int64 = 30 * 86_400
    /// Whether the relay samples this destination's accepted requests with
    /// `requestStatus:retrieve` to count per-event outcomes (docs/normalization.md "Google").
    public var requestStatusLookups = true
    /// Told the id of every request Google accepts, to sample per-event outcomes later
    /// (`GoogleRequestStatusPolicy`); set by the service's composition, `nil` in tests and tools.
    public var acceptedRequestObserver: (any GoogleAcceptedRequestObserver)? = nil

    /// ≤ 2,000 events per request, ≤ 10 user identifiers per event (destinations.md §2 "Limits").
    public static let maximumEventsPerRequest = 2000
    public static let maximumIdentifiersPerEvent = 10

    public init(operatingAccountID: String, conversionActionID: String, credentials: GoogleCredentials) {
        self.operatingAccountID = operatingAccountID
        self.conversionActionID = conversionActionID
        self.credentials = credentials
    }

    public init(operatingAccountID: String, conversionActionID: String, tokenProvider: any AccessTokenProvider) {
        self.init(operatingAccountID: operatingAccountID, conversionActionID: conversionActionID, credentials: .provider(tokenProvider))
    }
}

/// Google Ads conversions through the Data Manager API: `POST /v1/events:ingest` with an OAuth 2.0
/// bearer token, hex-encoded SHA-256 identifiers, `transactionId` = the event id (the key that
/// merges the server copy with the Google tag's conversion).
public struct GoogleDestination: ConfiguredDestination {
    public let name = "google"
    public let configuration: GoogleDestinationConfiguration
    /// `nil` while the credentials are a service-account key without an HTTP client
    /// (``GoogleCredentials/makeProvider(http:)`` not yet applied): encoding works, sending does not.
    private let tokenProvider: (any AccessTokenProvider)?

    public init(configuration: GoogleDestinationConfiguration) {
        self.configuration = configuration
        switch configuration.credentials {
        case .serviceAccountKey: tokenProvider = nil
        case .accessTokenFile(let path): tokenProvider = AccessTokenFile(path: path)
        case .provider(let provider): tokenProvider = provider
        }
    }

    public func encode(_ prepared: PreparedEvent, into writer: inout JSONWriter) -> Exclusion? {
        let event = prepared.event
        if let exclusion = prepared.commonExclusion(platform: "Google", maximumAgeSeconds: configuration.maximumEventAgeSeconds) {
            return exclusion
        }
        let start = writer.count
        writer.fragment(#"{"transactionId":""#)
        writer.eventIDContents(prepared)
        writer.fragment(#"","eventTimestamp":""#)
        writer.timestampContents(event.occurredAt)
        writer.fragment(#"","eventSource":"WEB","conversionValue":"#)
        writer.numberLiteral(event.value)
        // The currency is an ISO 4217 code (the decoder checks it): nothing to escape.
        writer.fragment(#","currency":""#)
        writer.unescapedStringContents(event.currency)
        writer.fragment("\"")

        // Looked up first (cached per order), written straight into the body: "userData" only
        // when there is at least one identifier.
        let wire = prepared.wireSlots(Self.identifierSlots, for: .google)
        let email = wire & IdentifierSlot.email != 0
        let phone = wire & IdentifierSlot.phone != 0
        // An address needs given name, family name, region and postal code together.
        let address = wire & Self.addressSlots == Self.addressSlots
        let identifiers = (email ? 1 : 0) + (phone ? 1 : 0) + (address ? 1 : 0)
        precondition(identifiers <= GoogleDestinationConfiguration.maximumIdentifiersPerEvent)
        if identifiers > 0 { writeUserData(prepared, wire, address: address, into: &writer) }

        let hasClickID = prepared.hasContext(.gclid) || prepared.hasContext(.gbraid) || prepared.hasContext(.wbraid)
        if hasClickID {
            writer.fragment(#","adIdentifiers":"#)
            let adIdentifiers = writer.beginMembers()
            prepared.writeContext(.gclid, member: #","gclid":""#, into: &writer)
            prepared.writeContext(.gbraid, member: #","gbraid":""#, into: &writer)
            prepared.writeContext(.wbraid, member: #","wbraid":""#, into: &writer)
            writer.endMembers(adIdentifiers, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
        }
        // The checkout's device is the device "when the event happened": `Event.eventDeviceInfo`,
        // not `adIdentifiers.landingPageDeviceInfo`, the device "at the time of landing onto the
        // advertiser's site after interacting with the ad" (googleapis datamanager_v1
        // types/event.py Event.event_device_info, AdIdentifiers.landing_page_device_info).
        if prepared.hasContext(.userAgent) || prepared.hasContext(.ip) {
            writer.fragment(#","eventDeviceInfo":"#)
            let deviceInfo = writer.beginMembers()
            prepared.writeContext(.userAgent, member: #","userAgent":""#, into: &writer)
            prepared.writeContext(.ip, member: #","ipAddress":""#, into: &writer)
            writer.endMembers(deviceInfo, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
        }
        if identifiers == 0, !hasClickID {
            writer.truncate(to: start)
            return .missingRequiredField("Google needs an email, phone, full address or a gclid/gbraid/wbraid to match")
        }
        if !event.items.isEmpty {
            writer.fragment(#","cartData":{"#)
            writer.itemObjects(#""items":"#, prepared) { writer, item in
                writer.fragment(#""merchantProductId":""#)
                writer.itemSKUContents(item)
                // int64 is a JSON string in proto3.
                writer.fragment(#"","quantity":""#)
                writer.quantityLiteral(item.quantity)
                writer.fragment(#"","unitPrice":"#)
                writer.itemPriceLiteral(item)
            }
            writer.fragment("}")
        }
        // Consent from the event (destinations.md §2 "Consent"); absent means unspecified.
        if event.consent.adUserData != nil || event.consent.adPersonalization != nil {
            writer.fragment(#","consent":"#)
            let consent = writer.beginMembers()
            if let granted = event.consent.adUserData {
                writer.fragment(granted ? #","adUserData":"CONSENT_GRANTED""# : #","adUserData":"CONSENT_DENIED""#)
            }
            if let granted = event.consent.adPersonalization {
                writer.fragment(
                    granted ? #","adPersonalization":"CONSENT_GRANTED""# : #","adPersonalization":"CONSENT_DENIED""#)
            }
            writer.endMembers(consent, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"))
        }
        writer.fragment("}")
        return nil
    }

    /// Writes `"userData"` with each identifier `wire` holds (an address when `address`). A
    /// function of its own: in the encoder's body, inlining these members pushed the items'
    /// writing out of line.
    private func writeUserData(_ prepared: PreparedEvent, _ wire: UInt64, address: Bool, into writer: inout JSONWriter) {
        writer.fragment(#","userData":{"userIdentifiers":"#)
        let userIdentifiers = writer.beginMembers()
        writer.identifierMember(#",{"emailAddress":""#, slot: IdentifierSlot.email, in: wire, of: prepared, closing: #""}"#)
        writer.identifierMember(#",{"phoneNumber":""#, slot: IdentifierSlot.phone, in: wire, of: prepared, closing: #""}"#)
        if address {
            writer.fragment(#",{"address":{"givenName":""#)
            writer.identifierContents(slot: IdentifierSlot.firstName, in: wire, of: prepared)
            writer.fragment(#"","familyName":""#)
            writer.identifierContents(slot: IdentifierSlot.lastName, in: wire, of: prepared)
            writer.fragment(#"","regionCode":""#)
            writer.identifierContents(slot: IdentifierSlot.country, in: wire, of: prepared)
            writer.fragment(#"","postalCode":""#)
            writer.identifierContents(slot: IdentifierSlot.postalCode, in: wire, of: prepared)
            writer.fragment(#""}}"#)
        }
        writer.endMembers(userIdentifiers, open: UInt8(ascii: "["), close: UInt8(ascii: "]"))
        writer.fragment("}")
    }

    /// The rule-slot bit of each user identifier (``IdentityNormalizer/ruleSlotBit(_:for:)``):
    /// computed, so each folds to a constant where it is used (a stored `static let` is a lazy
    /// global, checked on every access).
    private enum IdentifierSlot {
        static var email: UInt64 { IdentityNormalizer.ruleSlotBit(.email, for: .google) }
        static var phone: UInt64 { IdentityNormalizer.ruleSlotBit(.phone, for: .google) }
        static var firstName: UInt64 { IdentityNormalizer.ruleSlotBit(.firstName, for: .google) }
        static var lastName: UInt64 { IdentityNormalizer.ruleSlotBit(.lastName, for: .google) }
        static var country: UInt64 { IdentityNormalizer.ruleSlotBit(.country, for: .google) }
        static var postalCode: UInt64 { IdentityNormalizer.ruleSlotBit(.postalCode, for: .google) }
    }

    /// The rule slots of the identifiers an address is made of: all four or none are sent.
    static var addressSlots: UInt64 {
        IdentifierSlot.firstName | IdentifierSlot.lastName | IdentifierSlot.country | IdentifierSlot.postalCode
    }
    /// The rule slots of every user identifier Google receives.
    static var identifierSlots: UInt64 { addressSlots | IdentifierSlot.email | IdentifierSlot.phone }

    public func makeRequest(_ events: [PayloadSlice]) -> HTTPRequest {
        var prefix = JSONWriter()
        prefix.beginObject()
        prefix.key("destinations")
        prefix.beginArray()
        prefix.beginObject()
        prefix.key("operatingAccount")
        prefix.beginObject()
        prefix.key("accountType"); prefix.string("GOOGLE_ADS")
        prefix.key("accountId"); prefix.string(configuration.operatingAccountID)
        prefix.endObject()
        if let login = configuration.loginAccountID {
            prefix.key("loginAccount")
            prefix.beginObject()
            prefix.key("accountType"); prefix.string("GOOGLE_ADS")
            prefix.key("accountId"); prefix.string(login)
            prefix.endObject()
        }
        prefix.key("productDestinationId"); prefix.string(configuration.conversionActionID)
        prefix.endObject()
        prefix.endArray()
        prefix.key("encoding"); prefix.string("HEX")
        prefix.key("validateOnly"); prefix.bool(configuration.validateOnly)
        let head = String(decoding: prefix.bytes, as: UTF8.self) + ",\"events\":"
        return HTTPRequest(
            method: "POST", url: endpointURL(configuration.endpoint, "/v1/events:ingest"), headers: [("Content-Type", "application/json")],
            content: HTTPBody(jsonArray: events, prefix: head, suffix: "}"), timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    public func authorize(_ request: inout HTTPRequest, forceRefresh: Bool) async throws(CredentialError) {
        guard let tokenProvider else {
            throw CredentialError("the service-account key was never given an HTTP client (GoogleCredentials.makeProvider(http:))")
        }
        let token = try await tokenProvider.accessToken(forceRefresh: forceRefresh)
        request.headers.removeAll { $0.name == "Authorization" }
        request.headers.append(("Authorization", "Bearer \(token.unredactedValue)"))
    }

    /// Google API errors (destinations.md §2 "Errors", "Retry"): 429 `RESOURCE_EXHAUSTED`, 500,
    /// 503 `UNAVAILABLE`, 504 `DEADLINE_EXCEEDED` retry; 401 refreshes the token once; 400
    /// `INVALID_ARGUMENT` fails fast for the whole request because of one bad record (isolatable);
    /// 403 and 404 are permanent.
    public func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome {
        let retryAfter = DeliveryOutcome.retryAfterSeconds(response.retryAfter)
        if (200..<300).contains(response.status) {
            // Accepted is not processed: per-event problems show later in the request's status.
            if let observer = configuration.acceptedRequestObserver, !configuration.validateOnly,
                let requestID = Self.requestID(in: response.body)
            {
                observer.accepted(requestID: requestID, events: eventCount)
            }
            return .delivered
        }
        var status = "HTTP \(response.status)"
        var reason: String? = nil
        if case .object(let root)? = try? JSONParser().parse(response.body), case .object(let error)? = root["error"] {
            if case .string(let text)? = error["status"] { status = text }
            if case .array(let details)? = error["details"] {
                for case .object(let detail) in details {
                    if case .string(let text)? = detail["reason"] { reason = text }
                }
            }
        }
        let label = status + (reason.map { " (\($0))" } ?? "")
        switch response.status {
        case 401: return .unauthorized(reason: label)
        case 429, 500, 502, 503, 504: return .retryable(reason: label, retryAfterSeconds: retryAfter)
        case 400: return .rejected(errorClass: "invalid_event", reason: label, isolatable: true)
        case 403: return .rejected(errorClass: "permission", reason: label, isolatable: false)
        case 404: return .rejected(errorClass: "configuration", reason: label, isolatable: false)
        default:
            return response.status >= 500
                ? .retryable(reason: label, retryAfterSeconds: retryAfter)
                : .rejected(errorClass: "http_\(response.status)", reason: label, isolatable: false)
        }
    }

    public func redacted(_ request: HTTPRequest) -> HTTPRequest {
        var copy = request
        copy.headers = copy.headers.map { $0.name == "Authorization" ? ($0.name, "Bearer <redacted>") : $0 }
        return copy
    }
}
