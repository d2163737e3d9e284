import Foundation
import RelayCore
import RelayCrypto
import RelayDestinations
import RelayHTTP
import RelayPII
import RelaySandbox
import Testing

/// A token provider that never calls anything, for encoder tests.
struct FixedToken: AccessTokenProvider {
    func accessToken(forceRefresh: Bool) async throws(CredentialError) -> Secret { Secret("fixed-test-token") }
}

func destinations(endpoint: String = "https://example.invalid") -> [any ConversionDestination] {
    let accounts = SandboxAccounts()
    var meta = MetaDestinationConfiguration(pixelID: accounts.metaPixelID, accessToken: Secret(accounts.metaAccessToken))
    meta.endpoint = endpoint
    var google = GoogleDestinationConfiguration(
        operatingAccountID: accounts.googleOperatingAccountID, conversionActionID: accounts.googleConversionActionID,
        tokenProvider: FixedToken())
    google.endpoint = endpoint
    var tiktok = TikTokDestinationConfiguration(pixelCode: accounts.tiktokPixelCode, accessToken: Secret(accounts.tiktokAccessToken))
    tiktok.endpoint = endpoint
    var pinterest = PinterestDestinationConfiguration(adAccountID: accounts.pinterestAdAccountID, accessToken: Secret(accounts.pinterestAccessToken))
    pinterest.endpoint = endpoint
    var snapchat = SnapchatDestinationConfiguration(pixelID: accounts.snapchatPixelID, accessToken: Secret(accounts.snapchatAccessToken))
    snapchat.endpoint = endpoint
    return [
        MetaDestination(configuration: meta), GoogleDestination(configuration: google), TikTokDestination(configuration: tiktok),
        PinterestDestination(configuration: pinterest), SnapchatDestination(configuration: snapchat),
    ]
}

func payload(_ destination: any ConversionDestination, _ event: OrderEvent, now: Int64? = nil) -> [UInt8]? {
    let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now ?? event.occurredAt.epochSeconds + 60)
    guard case .send(let bytes) = destination.encode(prepared) else { return nil }
    return bytes
}

/// Pins the exact request body per platform for every valid example in schemas/examples/.
/// Regenerate after an intended change with `UPDATE_GOLDEN=1 swift test --filter GoldenRequestTests`
/// and review the diff: every byte here is what a platform receives.
@Suite struct GoldenRequestTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let examples = ["full", "minimal", "us-customer-offset-time", "integral-float-quantity", "hashed-email", "lowercase-t-and-z", "nulls-and-unknown-fields"]

    @Test(arguments: examples)
    func requestBodiesMatchTheGoldenFiles(example: String) throws {
        let event = try loadExample(example)
        // One prepared event for every destination, as the relay encodes it (the encoders share its
        // identifier cache and its JSON buffer).
        let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: event.occurredAt.epochSeconds + 60)
        for destination in destinations() {
            let file = Self.golden.appendingPathComponent("\(destination.name)/\(example).txt")
            let rendered: String
            switch destination.encode(prepared) {
            case .send(let bytes):
                let request = destination.makeRequest([bytes])
                rendered = "\(request.method) \(request.url)\n" + request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
                    + "\n\n" + String(decoding: request.body, as: UTF8.self) + "\n"
            case .exclude(let exclusion):
                rendered = "not sent: \(exclusion.reason)\n"
            }
            if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try rendered.write(to: file, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOf: file, encoding: .utf8)
            #expect(rendered == expected, "\(destination.name)/\(example) differs from its golden file")
        }
    }
}

@Suite struct PlatformEncodingTests {
    let all = destinations()
    func named(_ name: String) -> any ConversionDestination { all.first { $0.name == name }! }

    @Test func googleFollowsTheDataManagerFormat() throws {
        let event = try loadExample("full")
        let json = try object(try #require(payload(named("google"), event)))
        #expect(json["transactionId"] == .string("ORD-1001"))
        #expect(json["eventTimestamp"] == .string("2026-11-26T10:15:30Z"))
        guard case .object(let userData)? = json["userData"], case .array(let identifiers)? = userData["userIdentifiers"] else {
            Issue.record("userData.userIdentifiers expected")
            return
        }
        #expect(identifiers.count == 3)
        #expect(identifiers[0] == .object(JSONObject(members: [("emailAddress", .string(SHA256.hexDigest("jane.doe+shop@example.com")))])))
        // E.164 with "+" before hashing [§2 phoneNumber].
        #expect(identifiers[1] == .object(JSONObject(members: [("phoneNumber", .string(SHA256.hexDigest("+49301234567")))])))
        guard case .object(let wrapper) = identifiers[2], case .object(let address)? = wrapper["address"] else {
            Issue.record("address expected")
            return
        }
        #expect(address["givenName"] == .string(SHA256.hexDigest("zoë")))
        #expect(address["regionCode"] == .string("DE"))  // unhashed, upper case
        #expect(address["postalCode"] == .string("80331"))  // unhashed
        guard case .object(let consent)? = json["consent"], case .object(let ads)? = json["adIdentifiers"] else {
            Issue.record("consent and adIdentifiers expected")
            return
        }
        #expect(consent["adUserData"] == .string("CONSENT_GRANTED"))
        #expect(consent["adPersonalization"] == .string("CONSENT_DENIED"))
        #expect(ads["gclid"] == .string("Cj0KCQabc"))
    }

    @Test func gmailRuleAppliesToGoogleOnly() throws {
        var event = try loadExample("full")
        event.customer.email = RawPII("J.Doe+promo@gmail.com")
        let google = try object(try #require(payload(named("google"), event)))
        guard case .object(let userData)? = google["userData"], case .array(let identifiers)? = userData["userIdentifiers"] else {
            Issue.record("userIdentifiers expected")
            return
        }
        #expect(identifiers[0] == .object(JSONObject(members: [("emailAddress", .string(SHA256.hexDigest("jdoe@gmail.com")))])))
        let meta = try object(try #require(payload(named("meta"), event)))
        guard case .object(let user)? = meta["user_data"] else { return }
        #expect(strings(user["em"]) == [SHA256.hexDigest("j.doe+promo@gmail.com")])
    }

    @Test func tiktokSendsDocumentedFieldsOnlyWithPlusPhone() throws {
        var event = try loadExample("full")
        event.consent.limitedDataUse = true
        let json = try object(try #require(payload(named("tiktok"), event)))
        #expect(json["event"] == .string("Purchase"))
        guard case .object(let user)? = json["user"] else {
            Issue.record("user expected")
            return
        }
        #expect(user["email"] == .string(SHA256.hexDigest("jane.doe+shop@example.com")))
        #expect(user["phone"] == .string(SHA256.hexDigest("+49301234567")))
        #expect(user["external_id"] == .string(SHA256.hexDigest("cust-42")))
        #expect(user["ttclid"] == .string("E.C.P.abc"))  // raw, case kept
        // Names and zip code hashed, city, state and country plain (Segment getUser, Stape template.js).
        #expect(user["first_name"] == .string(SHA256.hexDigest("zoë")))
        #expect(user["last_name"] == .string(SHA256.hexDigest("müller")))
        #expect(user["zip_code"] == .string(SHA256.hexDigest("80331")))
        #expect(user["city"] == .string("münchen") && user["state"] == .string("bayern") && user["country"] == .string("de"))
        #expect(json["limited_data_use"] == .bool(true))
    }

    @Test func pinterestUsesStringsForMoneyAndLDPForLimitedDataUse() throws {
        var event = try loadExample("full")
        event.consent.limitedDataUse = true
        event.customer.gender = RawPII("non-binary")
        let json = try object(try #require(payload(named("pinterest"), event)))
        #expect(json["event_name"] == .string("checkout"))
        #expect(json["opt_out"] == .bool(true))  // the example refuses ad personalisation
        guard case .object(let user)? = json["user_data"], case .object(let custom)? = json["custom_data"] else {
            Issue.record("user_data and custom_data expected")
            return
        }
        #expect(strings(user["ge"]) == [SHA256.hexDigest("n")])
        #expect(strings(user["ph"]) == [SHA256.hexDigest("49301234567")])
        #expect(user["click_id"] == .string("dj0yJnU9abc"))
        #expect(custom["value"] == .string("129.9"))
        #expect(custom["opt_out_type"] == .string("LDP"))
    }

    @Test func snapchatUsesUppercaseEventAndSecondsAndTakesOlderEvents() throws {
        let event = try loadExample("full")
        let json = try object(try #require(payload(named("snapchat"), event)))
        #expect(json["event_name"] == .string("PURCHASE"))
        #expect(json["action_source"] == .string("WEB"))
        #expect(json["event_time"] == .number(JSONNumber(literal: "1795688130", double: 1_795_688_130)))
        guard case .object(let user)? = json["user_data"] else { return }
        #expect(user["sc_click_id"] == .string("sc-click"))
        // 10 days old: past Meta's 7-day limit, inside Snapchat's 37 days [§1, §5 "Event age"].
        let tenDaysLater = event.occurredAt.epochSeconds + 10 * 86_400
        #expect(payload(named("snapchat"), event, now: tenDaysLater) != nil)
        #expect(payload(named("meta"), event, now: tenDaysLater) == nil)
        #expect(payload(named("snapchat"), event, now: event.occurredAt.epochSeconds + 38 * 86_400) == nil)
    }

    /// The least each platform matches on (destinations.md §2–§5), one customer identifier and
    /// no browser context at a time: enough identifiers are sent, too few hold the event back.
    @Test(arguments: [
        ("tiktok", IdentityField.email, true), ("tiktok", .phone, true), ("tiktok", .externalID, true),
        ("snapchat", .email, true), ("snapchat", .phone, true), ("snapchat", .externalID, false),
        ("pinterest", .email, true), ("pinterest", .phone, false), ("google", .email, true), ("google", .phone, true),
        ("google", .externalID, false),
    ])
    func oneIdentifierAloneIsEnoughWhereThePlatformMatchesOnIt(platform: String, field: IdentityField, sent: Bool) throws {
        let full = try loadExample("full")
        var event = full
        event.customer = OrderEvent.Customer()
        event.context = OrderEvent.Context()
        switch field {
        case .email: event.customer.email = full.customer.email
        case .phone: event.customer.phone = full.customer.phone
        default: event.customer.id = full.customer.id
        }
        event.customer.country = full.customer.country
        #expect((payload(named(platform), event) != nil) == sent)
    }

    @Test func noMarketingConsentSendsToNoPlatform() throws {
        var event = try loadExample("full")
        event.consent.marketing = false
        for destination in all {
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: event.occurredAt.epochSeconds + 60)
            guard case .exclude(let exclusion) = destination.encode(prepared) else {
                Issue.record("\(destination.name) must not receive an order without marketing consent")
                continue
            }
            #expect(exclusion.reason == "no_consent")
            #expect(!exclusion.deadLetter)
        }
    }

    @Test func identifiersAreNormalisedOncePerRule() throws {
        let prepared = PreparedEvent(event: try loadExample("full"), eventID: "x", nowSeconds: 1_795_688_200)
        let meta = prepared.identifier(.email, for: .meta)
        let pinterest = prepared.identifier(.email, for: .pinterest)
        let google = prepared.identifier(.email, for: .google)
        #expect(meta == pinterest)
        #expect(IdentityNormalizer.ruleKey(.email, for: .meta) == IdentityNormalizer.ruleKey(.email, for: .pinterest))
        #expect(IdentityNormalizer.ruleKey(.email, for: .meta) != IdentityNormalizer.ruleKey(.email, for: .google))
        #expect(google?.wireValue == SHA256.hexDigest("jane.doe+shop@example.com"))
    }

    /// The per-event cache is indexed by rule slot: pairs share a slot exactly when they share a
    /// rule, and whatever order platforms ask in, each gets what normalising afresh gives.
    @Test(arguments: ["full", "us-customer-offset-time", "hashed-email", "minimal"])
    func cachedIdentifiersMatchFreshNormalisationInAnyOrder(example: String) throws {
        let pairs = IdentityField.allCases.flatMap { field in Platform.allCases.map { (field, $0) } }
        for (left, right) in zip(pairs, pairs.dropFirst()) + pairs.map({ ($0, $0) }) + zip(pairs, pairs.reversed()) {
            let sameRule = IdentityNormalizer.ruleKey(left.0, for: left.1) == IdentityNormalizer.ruleKey(right.0, for: right.1)
            let leftSlot = IdentityNormalizer.ruleSlot(left.0, for: left.1)
            let rightSlot = IdentityNormalizer.ruleSlot(right.0, for: right.1)
            #expect(leftSlot == nil || leftSlot! < IdentityNormalizer.ruleSlotCount)
            #expect(leftSlot == nil || (leftSlot == rightSlot) == sameRule)
            #expect((leftSlot == nil) == (IdentityNormalizer.transmission(of: left.0, for: left.1) == .omit))
        }
        let event = try loadExample(example)
        for order in [pairs, pairs.reversed()] {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: 1_795_688_200)
            for (field, platform) in order {
                let fresh = event.customer[field].flatMap {
                    try? IdentityNormalizer().normalize(field, $0, for: platform, countryHint: event.customer.country)
                }
                let expected: OwnedIdentifier? = IdentityNormalizer.transmission(of: field, for: platform) == .omit ? nil : fresh
                #expect(prepared.identifier(field, for: platform) == expected, "\(field) for \(platform)")
            }
        }
    }

    @Test(arguments: [
        ("google", 200, #"{"requestId":"r"}"#, "delivered"),
        ("google", 401, #"{"error":{"code":401,"status":"UNAUTHENTICATED","message":"m"}}"#, "unauthorized"),
        ("google", 429, #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"m"}}"#, "retryable"),
        ("google", 400, #"{"error":{"code":400,"status":"INVALID_ARGUMENT","message":"m","details":[{"reason":"INVALID_FORMAT"}]}}"#, "rejected:invalid_event:isolatable"),
        ("google", 403, #"{"error":{"code":403,"status":"PERMISSION_DENIED","message":"m"}}"#, "rejected:permission"),
        ("tiktok", 200, #"{"code":0,"message":"OK"}"#, "delivered"),
        ("tiktok", 200, #"{"code":20001,"message":"Partial"}"#, "rejected:partial_failure:isolatable"),
        ("tiktok", 200, #"{"code":40100,"message":"Too frequent"}"#, "retryable"),
        ("tiktok", 200, #"{"code":51003,"message":"internal"}"#, "retryable"),
        ("tiktok", 200, #"{"code":40105,"message":"bad token"}"#, "rejected:auth"),
        ("tiktok", 200, #"{"code":40062,"message":"PII not hashed"}"#, "rejected:invalid_event:isolatable"),
        ("pinterest", 200, #"{"num_events_received":2,"num_events_processed":1,"events":[{"status":"processed"},{"status":"failed","error_message":"x"}]}"#, "partial:1"),
        ("pinterest", 200, #"{"num_events_received":2,"num_events_processed":2,"events":[{"status":"processed"},{"status":"processed"}]}"#, "delivered"),
        ("pinterest", 422, #"{"code":4221,"message":"Not all events were processed."}"#, "rejected:invalid_event:isolatable"),
        ("pinterest", 429, #"{"code":8,"message":"rate"}"#, "retryable"),
        ("pinterest", 401, #"{"code":2,"message":"auth"}"#, "rejected:auth"),
        ("snapchat", 200, #"{"status":"VALID","reason":"ok"}"#, "delivered"),
        ("snapchat", 200, #"{"status":"INVALID","reason":"x","event":1}"#, "refused:1"),
        ("snapchat", 400, #"{"status":"INVALID","reason":"x"}"#, "rejected:invalid_event:isolatable"),
        ("snapchat", 503, "", "retryable"),
        ("snapchat", 401, "", "rejected:auth"),
    ])
    func classifiesResponses(platform: String, status: Int, body: String, expected: String) {
        let outcome = named(platform).classify(HTTPResponse(status: status, body: Array(body.utf8)), eventCount: 2)
        let summary: String
        switch outcome {
        case .delivered: summary = "delivered"
        case .retryable: summary = "retryable"
        case .rejected(let errorClass, _, let isolatable): summary = "rejected:\(errorClass)" + (isolatable ? ":isolatable" : "")
        case .partial(let rejected): summary = "partial:" + rejected.keys.sorted().map(String.init).joined(separator: ",")
        case .refused(let failing): summary = "refused:" + failing.keys.sorted().map(String.init).joined(separator: ",")
        case .unauthorized: summary = "unauthorized"
        }
        #expect(summary == expected)
    }

    @Test func redactionRemovesEveryToken() throws {
        let event = try loadExample("full")
        let accounts = SandboxAccounts()
        for destination in all {
            var request = destination.makeRequest([try #require(payload(destination, event))])
            if destination.name == "google" { request.headers.append(("Authorization", "Bearer fixed-test-token")) }
            let redacted = destination.redacted(request)
            let text = redacted.url + redacted.headers.map { "\($0.name): \($0.value)" }.joined() + String(decoding: redacted.body, as: UTF8.self)
            for secret in [accounts.metaAccessToken, accounts.tiktokAccessToken, accounts.pinterestAccessToken, accounts.snapchatAccessToken, "fixed-test-token"] {
                #expect(!text.contains(secret), "\(destination.name) leaks a token")
            }
            #expect(text.contains("<redacted>"), "\(destination.name)")
        }
    }
}

/// Every destination against its sandbox over real HTTP, including Google's OAuth flow.
@Suite struct PlatformSandboxRoundTripTests {
    /// Without payload fingerprints (the benchmark's mode) the sandbox validates and records alike.
    @Test(arguments: [true, false]) func everyPlatformAcceptsAValidBatchAndRecordsIt(fingerprints: Bool) async throws {
        let sandbox = try await SandboxServer(fingerprintPayloads: fingerprints)
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        var all = destinations(endpoint: sandbox.baseURL)
        var google = (all[1] as! GoogleDestination).configuration
        google.credentials = .provider(try ServiceAccountTokenProvider(keyFileContents: try sandbox.googleServiceAccountKeyFile(), http: client))
        all[1] = GoogleDestination(configuration: google)
        let base = try loadExample("full")
        let now = Int64(Date().timeIntervalSince1970)
        for destination in all {
            let batch = try (0..<3).map { index in
                var event = base
                event.orderID = "ORD-\(index)"
                event.occurredAt.epochSeconds = now - 60
                return try #require(payload(destination, event, now: now))
            }
            var request = destination.makeRequest(batch)
            try await destination.authorize(&request, forceRefresh: false)
            let response = try await client.execute(request)
            #expect(destination.classify(response, eventCount: 3) == .delivered, "\(destination.name): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
            #expect(sandbox.receipts(destination.name).map(\.eventID) == ["ORD-0", "ORD-1", "ORD-2"], "\(destination.name)")
            #expect(sandbox.receipts(destination.name).allSatisfy { ($0.payloadSHA256 != nil) == fingerprints }, "\(destination.name)")
        }
        try await sandbox.shutdown()
    }

    /// `value` with the member at `path` replaced (or removed, with `nil`); a path component that
    /// is a number indexes an array.
    static func replacing(_ path: ArraySlice<String>, in value: JSONValue, with replacement: JSONValue?) -> JSONValue? {
        guard let head = path.first else { return replacement }
        switch value {
        case .object(let object):
            let members = object.members.compactMap { member -> (key: String, value: JSONValue)? in
                guard member.key == head else { return member }
                return replacing(path.dropFirst(), in: member.value, with: replacement).map { (member.key, $0) }
            }
            return .object(JSONObject(members: members))
        case .array(let elements):
            return .array(elements.enumerated().compactMap { index, element in
                String(index) == head ? replacing(path.dropFirst(), in: element, with: replacement) : element
            })
        default: return value
        }
    }

    /// Each platform's sandbox refuses what the platform documents it refuses (destinations.md),
    /// per event where the platform reports per event: the second of two events is edited.
    @Test(arguments: [
        ("meta", "user_data.em", JSONValue.array([.string("someone@example.com")]), 400, "user_data.em must be a lowercase SHA-256", 0),
        ("meta", "action_source", .string("websites"), 400, "action_source is invalid", 0),
        ("meta", "custom_data", nil, 400, "Purchase events require custom_data", 0),
        ("meta", "user_data", .object(JSONObject(members: [("ct", .array([.string(String(repeating: "a", count: 64))])), ("client_user_agent", .string("Mozilla/5.0"))])), 400,
         "insufficient customer information", 0),
        ("google", "userData.userIdentifiers.0.emailAddress", .string("someone@example.com"), 400, "INVALID_HEX_ENCODING", 0),
        ("google", "userData.userIdentifiers.2.address.regionCode", .string("de"), 400, "regionCode must be an upper-case", 0),
        ("google", "currency", .string("eur"), 400, "INVALID_CURRENCY_CODE", 0),
        ("google", "transactionId", nil, 400, "transactionId is required", 0),
        ("google", "eventDeviceInfo.userAgent", .number(JSONNumber(1)), 400, "eventDeviceInfo holds userAgent and ipAddress", 0),
        ("tiktok", "user.email", .string("someone@example.com"), 200, "\"code\":20001", 1),
        ("tiktok", "event_id", .string(""), 200, "\"code\":20001", 1),
        ("tiktok", "user.first_name", .string("zoë"), 200, "\"code\":20001", 1),
        ("tiktok", "user.zip_code", .string("80331"), 200, "\"code\":20001", 1),
        ("tiktok", "user.country", .string("DE"), 200, "\"code\":20001", 1),
        // 422 "Not all events were successfully processed": the good event is processed.
        ("pinterest", "user_data.em", .array([.string("someone@example.com")]), 422, #"{"status":"failed","error_message":"em must hold SHA-256 hex digests""#, 1),
        ("pinterest", "custom_data.value", .number(JSONNumber(129.9)), 422, #"{"status":"failed","error_message":"custom_data.value must be a string""#, 1),
        ("pinterest", "event_time", .string("2026-11-26T10:15:30Z"), 422, #"{"status":"failed","error_message":"event_time must be Unix seconds"#, 1),
        // EventResponse INVALID naming the first failing event; nothing recorded.
        ("snapchat", "action_source", .string("web"), 400, #""event":1,"errors":{"codes":["INVALID_ACTION_SOURCE"],"error_msgs":["action_source must be WEB"#, 0),
        ("snapchat", "user_data.ph", .array([]), 400, "ph must hold SHA-256 hex digests", 0),
        ("snapchat", "user_data.external_id", .array([.string(String(repeating: "a", count: 64))]), 400, "external_id must be one string", 0),
        ("snapchat", "custom_data.contents.0.quantity", .number(JSONNumber(1)), 400, "contents[].quantity must be a string", 0),
    ] as [(String, String, JSONValue?, Int, String, Int)])
    func sandboxesRefuseWhatThePlatformsRefuse(
        platform: String, path: String, replacement: JSONValue?, status: Int, answer: String, recorded: Int
    ) async throws {
        let sandbox = try await SandboxServer()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        var destination = destinations(endpoint: sandbox.baseURL).first { $0.name == platform }!
        if var google = (destination as? GoogleDestination)?.configuration {
            google.credentials = .provider(try ServiceAccountTokenProvider(keyFileContents: try sandbox.googleServiceAccountKeyFile(), http: client))
            destination = GoogleDestination(configuration: google)
        }
        let now = Int64(Date().timeIntervalSince1970)
        var batch = try (0..<2).map { index in
            var event = try loadExample("full")
            event.orderID = "ORD-\(index)"
            event.occurredAt.epochSeconds = now - 60
            return try #require(payload(destination, event, now: now))
        }
        let edited = try #require(Self.replacing(path.split(separator: ".").map(String.init)[...], in: try JSONParser().parse(batch[1]), with: replacement))
        var writer = JSONWriter()
        writer.value(edited)
        #expect(writer.bytes != batch[1], "the edit changed nothing")
        batch[1] = writer.bytes
        var request = destination.makeRequest(batch)
        try await destination.authorize(&request, forceRefresh: false)
        let response = try await client.execute(request)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == status, "\(platform) \(path): \(body)")
        #expect(body.contains(answer), "\(platform) \(path): \(body)")
        #expect(sandbox.receipts(platform).map(\.eventID) == Array(["ORD-0"].prefix(recorded)), "\(platform) \(path)")
        try await sandbox.shutdown()
    }

    @Test func googleRefreshesItsTokenAfterA401() async throws {
        let sandbox = try await SandboxServer()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        var configuration = (destinations(endpoint: sandbox.baseURL)[1] as! GoogleDestination).configuration
        configuration.credentials = .provider(try ServiceAccountTokenProvider(keyFileContents: try sandbox.googleServiceAccountKeyFile(), http: client))
        let google = GoogleDestination(configuration: configuration)
        var event = try loadExample("full")
        event.occurredAt.epochSeconds = Int64(Date().timeIntervalSince1970) - 60
        let batch = [try #require(payload(google, event))]
        var first = google.makeRequest(batch)
        try await google.authorize(&first, forceRefresh: false)
        #expect(try await client.execute(first).status == 200)
        sandbox.expireGoogleTokens()
        var stale = google.makeRequest(batch)
        try await google.authorize(&stale, forceRefresh: false)  // cached, now refused
        let refused = try await client.execute(stale)
        #expect(google.classify(refused, eventCount: 1) == .unauthorized(reason: "UNAUTHENTICATED"))
        var fresh = google.makeRequest(batch)
        try await google.authorize(&fresh, forceRefresh: true)
        #expect(try await client.execute(fresh).status == 200)
    }

    @Test func aForgedServiceAccountIsRefused() async throws {
        let sandbox = try await SandboxServer()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let real = try sandbox.googleServiceAccountKeyFile()
        guard case .object(let json) = try JSONParser().parse(real) else { return }
        var writer = JSONWriter()
        writer.beginObject()
        for member in json.members {
            writer.key(dynamic: member.key)
            if member.key == "private_key" { writer.string(try RSAKey.generate().privateKeyPEM()) } else { writer.value(member.value) }
        }
        writer.endObject()
        let forged = try ServiceAccountTokenProvider(keyFileContents: writer.bytes, http: client)
        await #expect(throws: CredentialError.self) { _ = try await forged.accessToken(forceRefresh: false) }
        try await sandbox.shutdown()
    }
}

@Suite struct AccessTokenFileTests {
    @Test func reReadsTheFileWhenItChangesOrOnForcedRefresh() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try "first-token\n".write(to: file, atomically: true, encoding: .utf8)
        let provider = AccessTokenFile(path: file.path)
        #expect(try await provider.accessToken(forceRefresh: false).unredactedValue == "first-token")
        try "second-token".write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file.path)
        #expect(try await provider.accessToken(forceRefresh: false).unredactedValue == "second-token")
        try "third-token".write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file.path)
        #expect(try await provider.accessToken(forceRefresh: true).unredactedValue == "third-token")
        try FileManager.default.removeItem(at: file)
        await #expect(throws: CredentialError.self) { _ = try await provider.accessToken(forceRefresh: true) }
    }
}

/// Context values (click ids, cookies, IP, user agent) go out as given, only trimmed of spaces.
@Suite struct RawContextValueTests {
    @Test func spacesAreTrimmedAtBothEndsAndNothingElseChanges() throws {
        let event = try loadExample("full")
        let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: event.occurredAt.epochSeconds)
        let cases: [(String, String?)] = [
            ("IwAR2xYz", "IwAR2xYz"), ("  IwAR2xYz", "IwAR2xYz"), ("IwAR2xYz   ", "IwAR2xYz"), (" a b ", "a b"),
            ("\tAbC\t", "\tAbC\t"), ("Mozilla/5.0 (X11)", "Mozilla/5.0 (X11)"), ("   ", nil), ("", nil),
            // A space followed by a combining mark is one Character that is not a space.
            (" \u{301}x ", " \u{301}x"), ("x \u{301}", "x \u{301}"),
        ]
        for (value, expected) in cases {
            #expect(prepared.raw(RawPII(value))?.unredactedValue == expected, "\(value.debugDescription)")
        }
        #expect(prepared.raw(nil) == nil)
        // What is sent is still personal data: it never prints, trimmed or not.
        for value in ["IwAR2xYz", " IwAR2xYz "] {
            let text = try #require(prepared.raw(RawPII(value)))
            #expect("\(text)" == "<redacted>" && String(reflecting: text) == "<redacted>")
        }
    }

    @Test func retryAfterSecondsToleratesSpaces() {
        let destination = destinations()[0]
        for (header, expected) in [(" 7 ", 7.0), ("7", 7), ("2.5", 2.5)] {
            guard case .retryable(_, let after) = destination.classify(
                HTTPResponse(status: 429, retryAfter: header, body: Array(#"{"error":{"code":4,"message":"m"}}"#.utf8)),
                eventCount: 1)
            else {
                Issue.record("429 must be retryable")
                continue
            }
            #expect(after == expected, "Retry-After \(header.debugDescription)")
        }
    }
}
