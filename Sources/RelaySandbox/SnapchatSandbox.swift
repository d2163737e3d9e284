import RelayCore
import RelayHTTPServer

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
