import RelayCore
import RelayHTTPServer

/// Behaves like Pinterest's Conversions API v5 (destinations.md §4): `POST
/// /v5/ad_accounts/{id}/events` with a bearer conversion token, 1–1,000 events, required fields
/// per event, one status per event in a 200, and 422 when not all events were processed (the
/// processed ones recorded, per-event statuses in `details`). `?test=true` validates and answers
/// the same without recording.
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
        let testing = request.query["test"] == "true"
        var problems: [String?] = []
        var accepted: [AcceptedEvent] = []
        for event in events {
            let problem = problem(event, nowSeconds: nowSeconds)
            problems.append(problem)
            if problem == nil, let record = Check.accepted(event, idKey: "event_id", timeKey: "event_time") { accepted.append(record) }
        }
        let statuses = Self.conversionAPIResponse(problems)
        // `?test=true`: "The events will not be recorded but the API will still return the same
        // response messages" (v5/openapi.yaml, `test`).
        let recorded = testing ? [] : accepted
        guard problems.contains(where: { $0 != nil }) else { return (.json(200, statuses), recorded) }
        // 422 "Not all events were successfully processed" is a DetailedError {code, message,
        // details}; the spec types `details` as an object only, so what it holds is UNCONFIRMED. The
        // sandbox puts the 200's per-event statuses there (ConversionApiResponse), and records the
        // events it processed, as the description says some were.
        return (.json(422, "{\"code\":4221,\"message\":\"Not all events were successfully processed.\",\"details\":\(statuses)}"), recorded)
    }

    /// The right token and account, and not `?test=true`.
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])? {
        guard request.headers["authorization"] == "Bearer \(accounts.pinterestAccessToken)",
            request.path.split(separator: "/")[2] == accounts.pinterestAdAccountID, request.query["test"] != "true",
            let ids = EventIDScan.stringValues(of: "event_id", in: request.body), (1...1000).contains(ids.count)
        else { return nil }
        return (SandboxResponse(status: 200, headers: [("Content-Type", "application/json")], body: Self.allProcessedResponse(ids.count)), ids)
    }

    /// ``conversionAPIResponse(_:)`` for `count` events all processed, its bytes exactly: one
    /// event's status repeated instead of written member by member, a thousand times a request.
    static func allProcessedResponse(_ count: Int) -> [UInt8] {
        let status = Array(#"{"status":"processed","error_message":null,"warning_message":null}"#.utf8)
        var body = Array("{\"num_events_received\":\(count),\"num_events_processed\":\(count),\"events\":[".utf8)
        body.reserveCapacity(body.count + count * (status.count + 1) + 2)
        for index in 0..<count {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: status)
        }
        body.append(contentsOf: "]}".utf8)
        return body
    }

    /// `ConversionApiResponse`: counts and one `{status, error_message, warning_message}` per event,
    /// in request order (v5/openapi.yaml).
    static func conversionAPIResponse(_ problems: [String?]) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("num_events_received"); writer.integer(Int64(problems.count))
        writer.key("num_events_processed"); writer.integer(Int64(problems.count { $0 == nil }))
        writer.key("events")
        writer.beginArray()
        for problem in problems {
            writer.beginObject()
            writer.key("status"); writer.string(problem == nil ? "processed" : "failed")
            writer.key("error_message")
            if let problem { writer.string(problem) } else { writer.null() }
            writer.key("warning_message"); writer.null()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
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
