import RelayCore
import RelayHTTPServer

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
