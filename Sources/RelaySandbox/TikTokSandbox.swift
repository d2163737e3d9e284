import RelayCore
import RelayHTTPServer
import Synchronization

/// Behaves like TikTok's Events API 2.0 (destinations.md §3): `POST /open_api/v1.3/event/track/`
/// with `Access-Token`, answers HTTP 200 with `code` in the body (0 OK, 40105 bad token, 40002
/// bad parameters, 40062 PII not hashed). When some events are bad and others good it accepts the
/// good ones and answers 20001 (partial success).
struct TikTokSandbox: SandboxPlatform {
    let name = "tiktok"
    let accounts: SandboxAccounts

    func matches(_ request: SandboxRequest) -> Bool { request.path == "/open_api/v1.3/event/track/" }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        guard let token = request.headers["access-token"], !token.isEmpty else {
            return (body(40104, "Access token is empty."), [])
        }
        guard token == accounts.tiktokAccessToken else { return (body(40105, "Access token is incorrect or has been revoked."), []) }
        guard let json = Check.jsonBody(request), json["event_source"]?.isString("web") == true,
            json["event_source_id"]?.isString(accounts.tiktokPixelCode) == true, let events = json["data"]?.array, !events.isEmpty
        else { return (body(40002, "event_source, event_source_id and data are required."), []) }
        guard events.count <= 1000 else { return (body(40061, "Invalid batch size."), []) }
        var accepted: [AcceptedEvent] = []
        var failures = 0
        for event in events {
            if let code = problem(event, nowSeconds: nowSeconds) {
                failures += 1
                if events.count == 1 { return (body(code, "Invalid event."), []) }
                continue
            }
            if let record = Check.accepted(event, idKey: "event_id", timeKey: "event_time") { accepted.append(record) }
        }
        if failures > 0 { return (body(20001, "Partial success."), accepted) }
        return (body(0, "OK"), accepted)
    }

    private func problem(_ value: JSONTape.Value, nowSeconds: Int64) -> Int? {
        guard let event = value.object, event["event"]?.isNonEmptyString == true, event["event_id"]?.isNonEmptyString == true,
            let seconds = event["event_time"]?.number?.integer, seconds <= nowSeconds + 60, let user = event["user"]?.object
        else { return 40002 }
        // Hashed, as TikTok's integrations send them (Segment getUser, Stape template.js): a value
        // that is not a SHA-256 digest is unhashed PII (40062).
        for key in ["email", "phone", "external_id", "first_name", "last_name", "zip_code"] {
            if let value = user[key], !value.isLowerHexSHA256 { return 40062 }
        }
        // Plain: city and state as lower-case strings, country as a lower-case ISO 3166-1 alpha-2 code.
        for key in ["city", "state"] {
            if let value = user[key], value.string.map({ !$0.isEmpty && $0 == $0.lowercased() }) != true { return 40002 }
        }
        if let country = user["country"],
            country.string.map({ $0.utf8.count == 2 && $0.utf8.allSatisfy { (0x61...0x7A).contains($0) } }) != true
        {
            return 40002
        }
        return nil
    }

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        switch fault {
        case .throttle(let seconds):
            var response = body(40100, "Requests made too frequently.", status: 429)
            response.headers.append(("Retry-After", String(seconds)))
            return response
        case .serverError(let status): return body(50000, "System error.", status: status)
        case .dropConnection: return body(50002, "System timeout.", status: 500)
        }
    }

    private func body(_ code: Int, _ message: String, status: Int = 200) -> SandboxResponse {
        .json(status, "{\"code\":\(code),\"message\":\"\(message)\",\"request_id\":\"sandbox-\(code)\",\"data\":{}}")
    }
}

/// Behaves like Pinterest's Conversions API v5 (destinations.md §4): `POST
/// /v5/ad_accounts/{id}/events` with a bearer conversion token, 1–1,000 events, required fields
/// per event, one status per event in a 200, and 422 when not all events were processed.
/// `?test=true` validates without recording.
struct PinterestSandbox: SandboxPlatform {
    let name = "pinterest"
    let accounts: SandboxAccounts
    static let hashed = ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id"]

    func matches(_ request: SandboxRequest) -> Bool {
        let parts = request.path.split(separator: "/")
        return parts.count == 4 && parts[0] == "v5" && parts[1] == "ad_accounts" && parts[3] == "events"
    }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        guard request.headers["authorization"] == "Bearer \(accounts.pinterestAccessToken)" else {
            return (.json(401, #"{"code":2,"message":"Authentication failed."}"#), [])
        }
        guard request.path.split(separator: "/")[2] == accounts.pinterestAdAccountID else {
            return (.json(403, #"{"code":29,"message":"You are not permitted to access that resource."}"#), [])
        }
        guard let json = Check.jsonBody(request), let events = json["data"]?.array, (1...1000).contains(events.count) else {
            return (.json(400, #"{"code":4196,"message":"The request was invalid."}"#), [])
        }
        var statuses: [String] = []
        var accepted: [AcceptedEvent] = []
        for event in events {
            if let problem = problem(event, nowSeconds: nowSeconds) {
                statuses.append(problem)
            } else {
                statuses.append("")
                if let record = Check.accepted(event, idKey: "event_id", timeKey: "event_time") { accepted.append(record) }
            }
        }
        let failed = statuses.enumerated().filter { !$0.element.isEmpty }
        if !failed.isEmpty {
            let details = failed.map { "\"event \($0.offset): \($0.element)\"" }.joined(separator: ",")
            return (.json(422, "{\"code\":4221,\"message\":\"Not all events were processed.\",\"details\":[\(details)]}"), [])
        }
        let body = "{\"num_events_received\":\(events.count),\"num_events_processed\":\(events.count),\"events\":["
            + Array(repeating: #"{"status":"processed","error_message":null,"warning_message":null}"#, count: events.count)
            .joined(separator: ",") + "]}"
        return (.json(200, body), request.query["test"] == "true" ? [] : accepted)
    }

    private func problem(_ value: JSONTape.Value, nowSeconds: Int64) -> String? {
        guard let event = value.object else { return "event is not an object" }
        for key in ["event_name", "action_source", "event_id"] {
            guard event[key]?.isNonEmptyString == true else { return "\(key) is required" }
        }
        guard let seconds = event["event_time"]?.number?.integer, seconds <= nowSeconds + 60 else {
            return "event_time must be Unix seconds, not in the future"
        }
        guard let user = event["user_data"]?.object else { return "user_data is required" }
        if let problem = Check.hashedArrays(user, Self.hashed) { return problem }
        let hasIPAndAgent = user["client_ip_address"] != nil && user["client_user_agent"] != nil
        guard user["em"] != nil || user["hashed_maids"] != nil || hasIPAndAgent else {
            return "user_data needs em, hashed_maids, or client_ip_address with client_user_agent"
        }
        if let value = event["custom_data"]?.object?["value"], value.kind != .string {
            return "custom_data.value must be a string"
        }
        return nil
    }

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        switch fault {
        case .throttle(let seconds):
            return .json(429, #"{"code":8,"message":"You have exceeded your rate limit. Try again later."}"#, headers: [("Retry-After", String(seconds))])
        case .serverError(let status): return .json(status, #"{"code":4197,"message":"The endpoint has been ramped down."}"#)
        case .dropConnection: return .json(500, #"{"code":1,"message":"Internal error"}"#)
        }
    }
}

/// Behaves like Snapchat's Conversions API v3 (destinations.md §5): `POST /v3/{pixel}/events`
/// (or `/events/validate`, which records nothing) with `?access_token=`; events up to 37 days old,
/// hashed user data; v3 bodies are UNCONFIRMED, so answers follow the v2 model
/// (`{"status":"SUCCESS"}`, `{"status":"FAILED","reason":…}`).
struct SnapchatSandbox: SandboxPlatform {
    let name = "snapchat"
    let accounts: SandboxAccounts
    static let hashed = ["em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id"]

    func matches(_ request: SandboxRequest) -> Bool {
        let parts = request.path.split(separator: "/")
        return parts.count >= 3 && parts[0] == "v3" && parts[2] == "events" && (parts.count == 3 || (parts.count == 4 && parts[3] == "validate"))
    }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        guard request.query["access_token"] == accounts.snapchatAccessToken else {
            return (.json(401, #"{"status":"FAILED","reason":"Unauthorized: invalid access token"}"#), [])
        }
        let parts = request.path.split(separator: "/")
        guard parts[1] == accounts.snapchatPixelID else {
            return (.json(403, #"{"status":"FAILED","reason":"Pixel not found or not accessible"}"#), [])
        }
        guard let json = Check.jsonBody(request), let events = json["data"]?.array, (1...2000).contains(events.count) else {
            return (.json(400, #"{"status":"FAILED","reason":"data must hold 1 to 2000 events"}"#), [])
        }
        var accepted: [AcceptedEvent] = []
        for (index, event) in events.enumerated() {
            if let problem = problem(event, nowSeconds: nowSeconds) {
                return (.json(400, "{\"status\":\"FAILED\",\"reason\":\"\(problem)\",\"error_records\":[{\"reason\":\"\(problem)\",\"record_indexes\":[\(index)]}]}"), [])
            }
            if let record = Check.accepted(event, idKey: "event_id", timeKey: "event_time") { accepted.append(record) }
        }
        return (.json(200, #"{"status":"SUCCESS","reason":"All events processed"}"#), parts.count == 4 ? [] : accepted)
    }

    private func problem(_ value: JSONTape.Value, nowSeconds: Int64) -> String? {
        guard let event = value.object, event["event_name"]?.isNonEmptyString == true else {
            return "event_name is required"
        }
        guard event["event_id"]?.isNonEmptyString == true else { return "event_id is required" }
        guard let seconds = event["event_time"]?.number?.integer else { return "event_time is required" }
        guard seconds <= nowSeconds + 60, seconds >= nowSeconds - 37 * 86_400 else {
            return "event_time must be within the last 37 days"
        }
        guard event["action_source"]?.isString("WEB") == true else { return "action_source must be WEB for pixel events" }
        guard let user = event["user_data"]?.object else { return "user_data is required" }
        return Check.hashedArrays(user, Self.hashed)
    }

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        switch fault {
        case .throttle(let seconds):
            return .json(429, #"{"status":"FAILED","reason":"Too many requests"}"#, headers: [("Retry-After", String(seconds))])
        case .serverError(let status): return .json(status, #"{"status":"FAILED","reason":"Service unavailable"}"#)
        case .dropConnection: return .json(500, #"{"status":"FAILED","reason":"Internal error"}"#)
        }
    }
}
