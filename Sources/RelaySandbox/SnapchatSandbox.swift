import RelayCore
import RelayHTTPServer

/// Behaves like Snapchat's Conversions API v3 (destinations.md §5; Snapchat/business-sdk-v3-java
/// `api/openapi.yaml`): `POST /v3/{pixel}/events` with `?access_token=`; events up to 37 days old;
/// hashed user data of the SDK's `UserData` model (lists of digests, `external_id` one string);
/// content quantities and prices as strings (`model/Content.java`).
///
/// Answers are the SDK's `EventResponse`: `{"status":"VALID","reason":…}` when every event is
/// valid; otherwise HTTP 400 `{"status":"INVALID","reason":…,"event":<index of the first failing
/// event>,"errors":{"codes":[…],"error_msgs":[…]}}` and nothing is recorded (Snap's VerifySetUp:
/// every validation failure is INVALID with 400). `/events/validate` answers a `ValidateResponse`
/// (`test_event: true`, one `event_logs` entry per event) and records nothing. The error codes'
/// spelling is UNCONFIRMED (the SDK types them as strings and lists none).
struct SnapchatSandbox: SandboxPlatform {
    let name = "snapchat"
    let accounts: SandboxAccounts
    /// `UserData` keys that are lists of digests.
    static let hashedLists = ["em", "ph", "fn", "ln", "ge", "ct", "st", "zp", "country"]

    func matches(_ request: SandboxRequest) -> Bool {
        let parts = request.path.split(separator: "/")
        return parts.count >= 3 && parts[0] == "v3" && parts[2] == "events" && (parts.count == 3 || (parts.count == 4 && parts[3] == "validate"))
    }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        let parts = request.path.split(separator: "/")
        let validating = parts.count == 4
        guard request.query["access_token"] == accounts.snapchatAccessToken else {
            return (answer(401, reason: "Unauthorized: invalid access token", code: "INVALID_ACCESS_TOKEN", validating: validating), [])
        }
        guard parts[1] == accounts.snapchatPixelID else {
            return (answer(403, reason: "The access token may not send events to this asset", code: "ASSET_NOT_ACCESSIBLE", validating: validating), [])
        }
        guard let json = Check.jsonBody(request), let events = json["data"]?.array, (1...2000).contains(events.count) else {
            return (answer(400, reason: "data must hold 1 to 2000 events", code: "INVALID_REQUEST", validating: validating), [])
        }
        let problems = events.map { problem($0, nowSeconds: nowSeconds) }
        if validating { return (validateResponse(problems), []) }
        if let index = problems.firstIndex(where: { $0 != nil }), let problem = problems[index] {
            return (answer(400, reason: "Event validation failed", code: problem.code, message: problem.message, event: index), [])
        }
        let accepted = events.compactMap { Check.accepted($0, idKey: "event_id", timeKey: "event_time") }
        return (.json(200, #"{"status":"VALID","reason":"Events have been received"}"#), accepted)
    }

    /// The right token and pixel, not the `/events/validate` endpoint.
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])? {
        let parts = request.path.split(separator: "/")
        guard parts.count == 3, request.query["access_token"] == accounts.snapchatAccessToken, parts[1] == accounts.snapchatPixelID,
            let ids = EventIDScan.stringValues(of: "event_id", in: request.body), (1...2000).contains(ids.count)
        else { return nil }
        return (.json(200, #"{"status":"VALID","reason":"Events have been received"}"#), ids)
    }

    private func problem(_ value: JSONTape.Value, nowSeconds: Int64) -> (code: String, message: String)? {
        guard let event = value.object, event["event_name"]?.isNonEmptyString == true else {
            return ("MISSING_REQUIRED_FIELD", "event_name is required")
        }
        guard event["event_id"]?.isNonEmptyString == true else { return ("MISSING_REQUIRED_FIELD", "event_id is required") }
        guard let seconds = event["event_time"]?.number?.integer else { return ("MISSING_REQUIRED_FIELD", "event_time is required") }
        guard seconds <= nowSeconds + 60, seconds >= nowSeconds - 37 * 86_400 else {
            return ("INVALID_TIMESTAMP", "event_time must be within the last 37 days")
        }
        guard event["action_source"]?.isString("WEB") == true else { return ("INVALID_ACTION_SOURCE", "action_source must be WEB for pixel events") }
        guard let user = event["user_data"]?.object else { return ("INSUFFICIENT_PII", "user_data is required") }
        if let problem = Check.hashedArrays(user, Self.hashedLists) { return ("UNHASHED_PII", problem) }
        if let external = user["external_id"], !external.isLowerHexSHA256 {
            return ("INVALID_PARAMETER", "user_data.external_id must be one string (a SHA-256 hex digest)")
        }
        if let custom = event["custom_data"]?.object {
            guard custom["currency"]?.kind == .string, let value = custom["value"], value.kind == .number || value.kind == .string else {
                return ("MISSING_PRICE_OR_CURRENCY", "PURCHASE events need custom_data.value and custom_data.currency")
            }
            for content in custom["contents"]?.array.map(Array.init) ?? [] {
                for key in ["id", "quantity", "item_price", "brand"] {
                    if let member = content.object?[key], member.kind != .string {
                        return ("INVALID_PARAMETER", "custom_data.contents[].\(key) must be a string")
                    }
                }
            }
        } else if event["event_name"]?.isString("PURCHASE") == true {
            return ("MISSING_PRICE_OR_CURRENCY", "PURCHASE events need custom_data.value and custom_data.currency")
        }
        return nil
    }

    /// The test endpoint's `ValidateResponse`: 200 VALID, or 400 INVALID, with one log per event.
    private func validateResponse(_ problems: [(code: String, message: String)?]) -> SandboxResponse {
        var writer = JSONWriter()
        let valid = problems.allSatisfy { $0 == nil }
        writer.beginObject()
        writer.key("status"); writer.string(valid ? "VALID" : "INVALID")
        writer.key("test_event"); writer.bool(true)
        writer.key("reason"); writer.string(valid ? "Test events are valid" : "Event validation failed")
        writer.key("event_logs")
        writer.beginArray()
        for (index, problem) in problems.enumerated() {
            writer.beginObject()
            writer.key("event"); writer.integer(Int64(index))
            writer.key("status"); writer.string(problem == nil ? "VALID" : "INVALID")
            if let problem { errors(problem.code, problem.message, into: &writer) }
            writer.key("warnings"); writer.beginArray(); writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return SandboxResponse(status: valid ? 200 : 400, headers: [("Content-Type", "application/json")], body: writer.bytes)
    }

    /// An `EventResponse` (or, on the test endpoint, a `ValidateResponse`) with status INVALID.
    private func answer(
        _ status: Int, reason: String, code: String, message: String? = nil, event: Int? = nil, validating: Bool = false
    ) -> SandboxResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("status"); writer.string("INVALID")
        if validating { writer.key("test_event"); writer.bool(true) }
        writer.key("reason"); writer.string(reason)
        if let event { writer.key("event"); writer.integer(Int64(event)) }
        errors(code, message ?? reason, into: &writer)
        writer.endObject()
        return SandboxResponse(status: status, headers: [("Content-Type", "application/json")], body: writer.bytes)
    }

    private func errors(_ code: String, _ message: String, into writer: inout JSONWriter) {
        writer.key("errors")
        writer.beginObject()
        writer.key("codes"); writer.beginArray(); writer.string(code); writer.endArray()
        writer.key("error_msgs"); writer.beginArray(); writer.string(message); writer.endArray()
        writer.endObject()
    }

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        switch fault {
        case .throttle(let seconds):
            return .json(429, #"{"status":"INVALID","reason":"Too many requests"}"#, headers: [("Retry-After", String(seconds))])
        case .serverError(let status): return .json(status, #"{"status":"INVALID","reason":"Service unavailable"}"#)
        case .dropConnection: return .json(500, #"{"status":"INVALID","reason":"Internal error"}"#)
        }
    }
}
