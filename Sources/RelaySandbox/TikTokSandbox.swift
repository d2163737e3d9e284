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
        // `test_event_code`: shown in Events Manager's Test Events, not recorded (destinations.md §3).
        let recorded = json["test_event_code"]?.isNonEmptyString == true ? [] : accepted
        if failures > 0 { return (body(20001, "Partial success."), recorded) }
        return (body(0, "OK"), recorded)
    }

    /// The right token and no `test_event_code` in the body.
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])? {
        guard request.headers["access-token"] == accounts.tiktokAccessToken,
            !EventIDScan.contains("\"test_event_code\"", in: request.body),
            let ids = EventIDScan.stringValues(of: "event_id", in: request.body), (1...1000).contains(ids.count)
        else { return nil }
        return (body(0, "OK"), ids)
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
