import RelayCore
import RelayHTTPServer
import RelayCrypto
import Synchronization

/// Access tokens the sandbox's OAuth server issued, shared with the Data Manager sandbox.
final class IssuedTokens: Sendable {
    private let tokens = Mutex<Set<String>>([])
    private let counter = Atomic<Int>(0)

    func issue() -> String {
        let token = "sandbox-google-access-\(counter.add(1, ordering: .relaxed).newValue)"
        tokens.withLock { _ = $0.insert(token) }
        return token
    }

    func isValid(_ token: String) -> Bool { tokens.withLock { $0.contains(token) } }

    /// Forgets every issued token, as if they all expired.
    func expireAll() { tokens.withLock { $0.removeAll() } }
}

/// Behaves like Google's Data Manager API (destinations.md §2): `POST /v1/events:ingest` requires
/// an access token from the OAuth server, validates destinations, encoding, up to 2,000 events
/// and ≤ 10 identifiers each, and fails the whole request on one bad record (400
/// `INVALID_ARGUMENT`). `validateOnly` records nothing.
///
/// `GET /v1/requestStatus:retrieve?requestId=…` answers what became of an accepted request, as
/// Data Manager does after processing it (googleapis datamanager_v1 types/ingestion_service.py
/// RetrieveRequestStatusResponse): `PROCESSING` on the first lookup, then `SUCCESS`,
/// `PARTIAL_SUCCESS` or `FAILED` with `errorInfo.errorCounts` per `ProcessingErrorReason`. The
/// sandbox refuses at processing time what Google refuses then: `consent.adUserData`
/// `CONSENT_DENIED` (`DENIED_CONSENT`) and a gclid that is not a click id (`INVALID_GCLID`: here,
/// one with characters other than letters, digits, `-` and `_`). An unknown or validate-only
/// request id answers 404 `NOT_FOUND` (the real answer for those is UNCONFIRMED).
final class GoogleSandbox: SandboxPlatform {
    let name = "google"
    let accounts: SandboxAccounts
    let tokens: IssuedTokens
    private let counter = Atomic<Int>(0)
    /// Accepted requests by id: events, processing errors by reason, and whether looked up yet.
    private let processed = Mutex<[String: (records: Int, errors: [(reason: String, count: Int)], lookedUp: Bool)]>([:])

    init(accounts: SandboxAccounts, tokens: IssuedTokens) {
        self.accounts = accounts
        self.tokens = tokens
    }

    func matches(_ request: SandboxRequest) -> Bool {
        request.path == "/v1/events:ingest" || request.path == "/v1/requestStatus:retrieve"
    }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        guard let bearer = request.headers["authorization"], bearer.hasPrefix("Bearer "),
            tokens.isValid(String(bearer.dropFirst(7)))
        else {
            return (status(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), [])
        }
        if request.path == "/v1/requestStatus:retrieve" {
            guard request.method == "GET" else { return (status(405, "INVALID_ARGUMENT", "Use GET."), []) }
            return (requestStatus(request.query["requestId"] ?? ""), [])
        }
        guard let body = Check.jsonBody(request) else { return (invalid("Invalid JSON payload received.", reason: "INVALID_FORMAT"), []) }
        guard let destinations = body["destinations"]?.array, destinations.count == 1,
            let destination = destinations.first?.object, let operating = destination["operatingAccount"]?.object,
            operating["accountType"]?.isString("GOOGLE_ADS") == true, operating["accountId"]?.isString(accounts.googleOperatingAccountID) == true
        else { return (status(403, "PERMISSION_DENIED", "The caller does not have permission on the operating account."), []) }
        guard destination["productDestinationId"]?.isString(accounts.googleConversionActionID) == true else {
            return (invalid("Conversion action not found.", reason: "INVALID_CONVERSION_ACTION_ID"), [])
        }
        guard let events = body["events"]?.array, !events.isEmpty else {
            return (invalid("events must not be empty.", reason: "INVALID_FORMAT"), [])
        }
        guard events.count <= 2000 else { return (invalid("Too many events in the request.", reason: "TOO_MANY_EVENTS"), []) }
        for (index, event) in events.enumerated() {
            if let problem = validate(event, encodingSet: body["encoding"]?.isString("HEX") == true, nowSeconds: nowSeconds) {
                return (invalid("events[\(index)]: \(problem.message)", reason: problem.reason), [])
            }
        }
        let validateOnly = body["validateOnly"]?.bool == true
        let accepted = validateOnly ? [] : events.compactMap { Check.accepted($0, idKey: "transactionId", timeKey: "eventTimestamp") }
        let requestID = "sandbox-\(counter.add(1, ordering: .relaxed).newValue)"
        if !validateOnly {
            var errors: [(reason: String, count: Int)] = []
            for event in events {
                guard let reason = Self.processingError(event) else { continue }
                if let index = errors.firstIndex(where: { $0.reason == reason }) { errors[index].count += 1 } else { errors.append((reason, 1)) }
            }
            processed.withLock { $0[requestID] = (events.count, errors, false) }
        }
        return (.json(200, "{\"requestId\":\"\(requestID)\"}"), accepted)
    }

    /// A valid token, `validateOnly` not true, and no `adUserData` `CONSENT_DENIED` (whose refusal
    /// at processing time the full path counts). The accepted request is registered for `requestStatus:retrieve` as
    /// one without processing errors: a gclid that is not a click id is refused on validated
    /// requests only.
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])? {
        guard request.method == "POST", request.path == "/v1/events:ingest",
            let bearer = request.headers["authorization"], bearer.hasPrefix("Bearer "), tokens.isValid(String(bearer.dropFirst(7))),
            !EventIDScan.anyIsTrue("validateOnly", in: request.body),
            EventIDScan.anyStringValue(of: "adUserData", is: "CONSENT_DENIED", in: request.body) == false,
            let ids = EventIDScan.stringValues(of: "transactionId", in: request.body), (1...2000).contains(ids.count)
        else { return nil }
        let requestID = "sandbox-\(counter.add(1, ordering: .relaxed).newValue)"
        processed.withLock { $0[requestID] = (ids.count, [], false) }
        return (.json(200, "{\"requestId\":\"\(requestID)\"}"), ids)
    }

    /// Why Google would drop an accepted event while processing it, if it would.
    private static func processingError(_ value: JSONTape.Value) -> String? {
        guard let event = value.object else { return nil }
        if event["consent"]?.object?["adUserData"]?.isString("CONSENT_DENIED") == true { return "DENIED_CONSENT" }
        if let gclid = event["adIdentifiers"]?.object?["gclid"]?.string,
            !gclid.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F })
        {
            return "INVALID_GCLID"
        }
        return nil
    }

    private func requestStatus(_ requestID: String) -> SandboxResponse {
        guard let entry = processed.withLock({ state -> (records: Int, errors: [(reason: String, count: Int)], lookedUp: Bool)? in
            guard let entry = state[requestID] else { return nil }
            state[requestID]?.lookedUp = true
            return entry
        })
        else { return status(404, "NOT_FOUND", "Request id not found.") }
        let failed = entry.errors.reduce(0) { $0 + $1.count }
        let state =
            !entry.lookedUp ? "PROCESSING" : failed == 0 ? "SUCCESS" : failed == entry.records ? "FAILED" : "PARTIAL_SUCCESS"
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("requestStatusPerDestination")
        writer.beginArray()
        writer.beginObject()
        writer.key("destination")
        writer.beginObject()
        writer.key("operatingAccount")
        writer.beginObject()
        writer.key("accountType"); writer.string("GOOGLE_ADS")
        writer.key("accountId"); writer.string(accounts.googleOperatingAccountID)
        writer.endObject()
        writer.key("productDestinationId"); writer.string(accounts.googleConversionActionID)
        writer.endObject()
        writer.key("requestStatus"); writer.string(state)
        if entry.lookedUp, !entry.errors.isEmpty {
            writer.key("errorInfo")
            writer.beginObject()
            writer.key("errorCounts")
            writer.beginArray()
            for error in entry.errors {
                writer.beginObject()
                writer.key("reason"); writer.string(error.reason)
                writer.key("recordCount"); writer.string(String(error.count))  // int64: a string in proto3 JSON
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.key("eventsIngestionStatus")
        writer.beginObject()
        writer.key("recordCount"); writer.string(String(entry.records))
        writer.endObject()
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return SandboxResponse(status: 200, headers: [("Content-Type", "application/json")], body: writer.bytes)
    }

    private func validate(_ value: JSONTape.Value, encodingSet: Bool, nowSeconds: Int64) -> (message: String, reason: String)? {
        guard let event = value.object else { return ("event must be an object", "INVALID_FORMAT") }
        guard event["transactionId"]?.isNonEmptyString == true else {
            return ("transactionId is required for multi-source conversions", "INVALID_FORMAT")
        }
        guard let stamp = event["eventTimestamp"]?.string, let time = RFC3339.parse(stamp) else {
            return ("eventTimestamp must be an RFC 3339 timestamp", "EVENT_TIME_INVALID")
        }
        if time.epochSeconds > nowSeconds + 60 { return ("eventTimestamp is in the future", "EVENT_TIME_INVALID") }
        if let currency = event["currency"]?.string, currency.utf8.count != 3 || currency != currency.uppercased() {
            return ("currency must be an ISO 4217 code", "INVALID_CURRENCY_CODE")
        }
        // DeviceInfo holds userAgent and ipAddress only; proto3 JSON parsing refuses any other name
        // (googleapis datamanager_v1 types/device_info.py).
        if let device = event["eventDeviceInfo"], !Self.isDeviceInfo(device) {
            return ("eventDeviceInfo holds userAgent and ipAddress strings only", "INVALID_FORMAT")
        }
        if let landing = event["adIdentifiers"]?.object?["landingPageDeviceInfo"], !Self.isDeviceInfo(landing) {
            return ("adIdentifiers.landingPageDeviceInfo holds userAgent and ipAddress strings only", "INVALID_FORMAT")
        }
        if let userData = event["userData"]?.object {
            guard encodingSet else { return ("encoding must be set when userData is sent", "INVALID_FORMAT") }
            guard let identifiers = userData["userIdentifiers"]?.array, !identifiers.isEmpty else {
                return ("userIdentifiers must not be empty", "INVALID_FORMAT")
            }
            guard identifiers.count <= 10 else { return ("more than 10 user identifiers", "TOO_MANY_USER_IDENTIFIERS") }
            for case let identifier? in identifiers.lazy.map(\.object) {
                guard identifier.count == 1 else { return ("each user identifier holds exactly one value", "INVALID_FORMAT") }
                if let email = identifier["emailAddress"], !email.isLowerHexSHA256 { return ("emailAddress is not hex SHA-256", "INVALID_HEX_ENCODING") }
                if let phone = identifier["phoneNumber"], !phone.isLowerHexSHA256 { return ("phoneNumber is not hex SHA-256", "INVALID_HEX_ENCODING") }
                if let address = identifier["address"]?.object {
                    guard address["givenName"]?.isLowerHexSHA256 == true, address["familyName"]?.isLowerHexSHA256 == true
                    else { return ("address names must be hex SHA-256", "INVALID_HEX_ENCODING") }
                    guard let region = address["regionCode"]?.string, region.utf8.count == 2, region == region.uppercased() else {
                        return ("regionCode must be an upper-case ISO 3166-1 alpha-2 code, unhashed", "INVALID_FORMAT")
                    }
                    guard address["postalCode"]?.kind == .string else { return ("postalCode is required in an address", "INVALID_FORMAT") }
                }
            }
        }
        return nil
    }

    private static func isDeviceInfo(_ value: JSONTape.Value) -> Bool {
        value.object?.members.allSatisfy { ["userAgent", "ipAddress"].contains($0.key) && $0.value.kind == .string } == true
    }

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        switch fault {
        case .throttle(let seconds):
            var response = status(429, "RESOURCE_EXHAUSTED", "Quota exceeded for IngestionService requests per minute.")
            response.headers.append(("Retry-After", String(seconds)))
            return response
        case .serverError(let code): return status(code, "UNAVAILABLE", "The service is currently unavailable.")
        case .dropConnection: return status(500, "INTERNAL", "Internal error.")
        }
    }

    private func invalid(_ message: String, reason: String) -> SandboxResponse {
        status(400, "INVALID_ARGUMENT", message, reason: reason)
    }

    private func status(_ code: Int, _ status: String, _ message: String, reason: String? = nil) -> SandboxResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("code"); writer.integer(Int64(code))
        writer.key("message"); writer.string(message)
        writer.key("status"); writer.string(status)
        if let reason {
            writer.key("details")
            writer.beginArray()
            writer.beginObject()
            writer.key("@type"); writer.string("type.googleapis.com/google.rpc.ErrorInfo")
            writer.key("reason"); writer.string(reason)
            writer.key("domain"); writer.string("datamanager.googleapis.com")
            writer.endObject()
            writer.endArray()
        }
        writer.endObject()
        writer.endObject()
        return SandboxResponse(status: code, headers: [("Content-Type", "application/json")], body: writer.bytes)
    }
}

/// Behaves like Google's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer
/// grant): verifies the assertion's RS256 signature with the service account's public key and its
/// claims (issuer, audience, scope, expiry), then issues an access token.
struct GoogleOAuthSandbox: SandboxPlatform {
    let name = "google-oauth"
    let accounts: SandboxAccounts
    let publicKey: RSAKey
    let tokenAudience: @Sendable () -> String
    let tokens: IssuedTokens

    func matches(_ request: SandboxRequest) -> Bool { request.path == "/token" }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        (token(request, nowSeconds: nowSeconds), [])
    }

    private func token(_ request: SandboxRequest, nowSeconds: Int64) -> SandboxResponse {
        let form = FormDecoding.decode(request.body)
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let assertion = form["assertion"] else {
            return .json(400, #"{"error":"unsupported_grant_type","error_description":"Invalid grant_type"}"#)
        }
        let parts = assertion.split(separator: ".").map(String.init)
        guard parts.count == 3, let signature = Base64URL.decode(parts[2]),
            publicKey.verifyRS256(Array("\(parts[0]).\(parts[1])".utf8), signature: signature),
            let claimsBytes = Base64URL.decode(parts[1]), case .object(let claims)? = try? JSONParser().parse(claimsBytes)
        else {
            return .json(400, #"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#)
        }
        guard claims["iss"] == .string(accounts.googleClientEmail), claims["aud"] == .string(tokenAudience()),
            case .string(let scope)? = claims["scope"], scope.contains("https://www.googleapis.com/auth/datamanager"),
            case .number(let expiry)? = claims["exp"], Int64(expiry.double) > nowSeconds
        else {
            return .json(400, #"{"error":"invalid_grant","error_description":"Invalid JWT: claims rejected."}"#)
        }
        let token = tokens.issue()
        return .json(200, "{\"access_token\":\"\(token)\",\"expires_in\":3599,\"token_type\":\"Bearer\"}")
    }

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        .json(503, #"{"error":"temporarily_unavailable"}"#)
    }
}
