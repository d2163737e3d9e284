import RelayCore
import RelayHTTPServer
import RelayCrypto
import RelayPII

/// Behaves like Meta's Conversions API (`destinations.md` §1):
/// `POST /{version}/{pixel_id}/events`, `access_token` and `data` (a JSON array) as form fields
/// (multipart, as `curl -F` sends them, or URL-encoded) or JSON members,
/// at most 1,000 events, the whole request rejected when one event is invalid (code 100) or older
/// than 7 days, Graph error envelope, success body `{"events_received":n,"messages":[],"fbtrace_id":…}`.
/// A request with `test_event_code` is validated and answered the same, and records nothing.
struct MetaSandbox: SandboxPlatform {
    let name = "meta"
    let pixelID: String
    let accessToken: String
    static let maximumEvents = 1000
    static let maximumAgeSeconds: Int64 = 7 * 86_400
    static let hashedKeys = ["em", "ph", "fn", "ln", "ct", "st", "zp", "country", "db", "ge", "external_id"]

    func matches(_ request: SandboxRequest) -> Bool {
        let parts = request.path.split(separator: "/")
        // Graph versions look like v26.0 (Snapchat's /v3/{pixel}/events has no dot).
        return parts.count == 3 && parts[0].hasPrefix("v") && parts[0].contains(".") && parts[2] == "events"
    }

    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent]) {
        let parts = request.path.split(separator: "/")
        guard request.method == "POST" else {
            return (graphError(400, code: 100, message: "Unsupported get request."), [])
        }
        guard parts[0] == "v26.0" || parts[0].hasPrefix("v2") else {
            return (graphError(400, code: 2635, message: "You are calling a deprecated version of the Ads API."), [])
        }
        var fields = request.query
        /// The `data` field's bytes: a form body's are parsed as they are decoded, no `String`.
        var data = fields["data"].map { Array($0.utf8) }
        let contentType = request.headers["content-type"] ?? ""
        if let boundary = MultipartFormDecoding.boundary(ofContentType: contentType) {
            // What `curl -F` sends, as in Meta's example.
            guard let parts = MultipartFormDecoding.decodeBytes(request.body, boundary: boundary) else {
                return (graphError(400, code: 100, message: "(#100) The multipart body could not be parsed"), [])
            }
            for (key, value) in parts {
                if key == "data" { data = value } else { fields[key] = String(decoding: value, as: UTF8.self) }
            }
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            for (key, value) in FormDecoding.decodeBytes(request.body) {
                if key == "data" { data = value } else { fields[key] = String(decoding: value, as: UTF8.self) }
            }
        } else if contentType.hasPrefix("application/json"),
            case .object(let object)? = try? JSONParser().parse(request.body)
        {
            for member in object.members {
                var writer = JSONWriter()
                writer.value(member.value)
                let text: String
                if case .string(let string) = member.value { text = string } else { text = String(decoding: writer.bytes, as: UTF8.self) }
                fields[member.key] = text
                if member.key == "data" { data = Array(text.utf8) }
            }
        }
        guard let token = fields["access_token"], !token.isEmpty else {
            return (graphError(400, code: 104, message: "An access token is required to request this resource.", type: "OAuthException"), [])
        }
        guard token == accessToken else {
            return (graphError(400, code: 190, message: "Invalid OAuth access token - Cannot parse access token", type: "OAuthException"), [])
        }
        guard parts[1] == pixelID else {
            return (graphError(400, code: 100, subcode: 33, message: "Unsupported post request. Object with ID '\(parts[1])' does not exist"), [])
        }
        guard let data, let events = (try? JSONTape(parsing: data, maximumBytes: 64 << 20))?.root.array else {
            return (graphError(400, code: 100, message: "(#100) The parameter data is required and must be a JSON array"), [])
        }
        guard !events.isEmpty, events.count <= Self.maximumEvents else {
            return (graphError(400, code: 100, message: "(#100) data must contain between 1 and \(Self.maximumEvents) events"), [])
        }
        var accepted: [AcceptedEvent] = []
        accepted.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            if let problem = validate(event, nowSeconds: nowSeconds) {
                return (graphError(400, code: 100, subcode: 2804050, message: "Invalid parameter", userMessage: "event \(index): \(problem)"), [])
            }
            guard let object = event.object, let eventID = object["event_id"]?.string else { continue }
            accepted.append(AcceptedEvent(eventID: eventID, eventTime: object["event_time"]?.number?.integer, event: event))
        }
        let body = "{\"events_received\":\(events.count),\"messages\":[],\"fbtrace_id\":\"\(Self.traceID())\"}"
        // Events with a `test_event_code` go to Events Manager's Test Events, not to the data set
        // (destinations.md §1 "Test mode"): answered the same, recorded nothing.
        let testing = fields["test_event_code"].map { !$0.isEmpty } ?? false
        return (.json(200, body), testing ? [] : accepted)
    }

    /// Multipart bodies as the relay sends them: parts `data` and `access_token` (the right one),
    /// no `test_event_code` part and nothing in the query string. The parts are found by their
    /// delimiters (``MultipartFormDecoding/partRanges(_:boundary:)``, no copy) and the ids in
    /// `data` alone.
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])? {
        let path = request.path.split(separator: "/")
        guard request.method == "POST", path[0] == "v26.0" || path[0].hasPrefix("v2"), path[1] == pixelID, request.query.isEmpty,
            let boundary = MultipartFormDecoding.boundary(ofContentType: request.headers["content-type"] ?? ""),
            let parts = MultipartFormDecoding.partRanges(request.body, boundary: boundary),
            !parts.contains(where: { $0.name == "test_event_code" }),
            let token = parts.last(where: { $0.name == "access_token" }), request.body[token.content].elementsEqual(accessToken.utf8),
            let data = parts.last(where: { $0.name == "data" }),
            let ids = EventIDScan.stringValues(of: "event_id", in: request.body, range: data.content), (1...Self.maximumEvents).contains(ids.count)
        else { return nil }
        return (.json(200, "{\"events_received\":\(ids.count),\"messages\":[],\"fbtrace_id\":\"\(Self.traceID())\"}"), ids)
    }

    /// Returns why Meta would reject this event, or nil.
    func validate(_ value: JSONTape.Value, nowSeconds: Int64) -> String? {
        guard let event = value.object else { return "event is not an object" }
        guard let name = event["event_name"], name.isNonEmptyString else { return "event_name is required" }
        let isPurchase = name.isString("Purchase")
        guard let seconds = event["event_time"]?.number?.integer else {
            return "event_time must be a Unix timestamp in seconds"
        }
        if seconds > nowSeconds + 60 { return "event_time is in the future" }
        if seconds < nowSeconds - Self.maximumAgeSeconds { return "event_time is more than 7 days in the past" }
        guard let source = event["action_source"]?.string else { return "action_source is required" }
        guard Self.actionSources.contains(source) else { return "action_source is invalid" }
        guard let userData = event["user_data"]?.object else { return "user_data is required" }
        if source == "website" {
            guard userData["client_user_agent"]?.kind == .string else { return "client_user_agent is required for website events" }
            guard event["event_source_url"]?.kind == .string else { return "event_source_url is required for website events" }
        }
        for key in Self.hashedKeys {
            guard let field = userData[key] else { continue }
            let valid = field.array.map { $0.allSatisfy(\.isLowerHexSHA256) } ?? field.isLowerHexSHA256
            if !valid { return "user_data.\(key) must be a lowercase SHA-256 hex digest" }
        }
        // Customer information that is only a subset of one of these sets is insufficient
        // (destinations.md §1, best practices).
        let keys = userData.keys
        let present = keys.filter { $0 != "client_ip_address" }
        if present.isEmpty || Self.weakSets.contains(where: { weak in present.allSatisfy(weak.contains) }) {
            if !keys.contains("client_ip_address") || !present.contains("client_user_agent") {
                return "insufficient customer information"
            }
        }
        if isPurchase {
            guard let custom = event["custom_data"]?.object else { return "Purchase events require custom_data" }
            guard custom["value"]?.kind == .number, custom["currency"]?.kind == .string else {
                return "Purchase events require custom_data.value and custom_data.currency"
            }
        }
        return nil
    }

    static let actionSources: Set<String> = [
        "email", "website", "app", "phone_call", "chat", "physical_store", "system_generated", "business_messaging", "other",
    ]
    /// Sets of user data keys that are not enough on their own.
    static let weakSets: [Set<String>] = [
        ["ct", "country", "st", "zp", "ge", "client_user_agent"], ["db", "client_user_agent"], ["fn", "ge"], ["ln", "ge"],
    ]

    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse {
        switch fault {
        case .throttle(let seconds):
            var response = graphError(429, code: 17, subcode: 2446079, message: "User request limit reached", transient: true)
            response.headers.append(("Retry-After", String(seconds)))
            return response
        case .serverError(let status):
            return graphError(status, code: 2, message: "An unexpected error has occurred. Please retry your request later.", transient: true)
        case .dropConnection:
            return graphError(500, code: 1, message: "An unknown error occurred", transient: true)
        }
    }

    func graphError(
        _ status: Int, code: Int, subcode: Int? = nil, message: String, type: String = "OAuthException",
        userMessage: String? = nil, transient: Bool = false
    ) -> SandboxResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("message"); writer.string(message)
        writer.key("type"); writer.string(type)
        writer.key("code"); writer.integer(Int64(code))
        if let subcode { writer.key("error_subcode"); writer.integer(Int64(subcode)) }
        writer.key("is_transient"); writer.bool(transient)
        if let userMessage {
            writer.key("error_user_title"); writer.string("Invalid event")
            writer.key("error_user_msg"); writer.string(userMessage)
        }
        writer.key("fbtrace_id"); writer.string(Self.traceID())
        writer.endObject()
        writer.endObject()
        return SandboxResponse(status: status, headers: [("Content-Type", "application/json")], body: writer.bytes)
    }

    static func traceID() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<11).map { _ in alphabet.randomElement()! })
    }
}

