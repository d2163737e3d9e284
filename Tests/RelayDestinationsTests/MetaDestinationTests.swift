import Foundation
import RelayCore
import RelayDestinations
import RelayHTTP
import RelayCrypto
import RelayPII
import RelaySandbox
import RelayHTTPServer
import Testing

extension Platform {
    /// Every rotation of the platforms, so each asks a per-event cache first once.
    static var rotations: [[Platform]] {
        allCases.indices.map { Array(allCases[$0...] + allCases[..<$0]) }
    }
}

func loadExample(_ name: String) throws -> OrderEvent {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("schemas/examples/valid/\(name).json")))
    return try OrderEventDecoder().decode(bytes)
}

func object(_ bytes: [UInt8]) throws -> JSONObject {
    guard case .object(let object) = try JSONParser().parse(bytes) else { throw JSONParseError(reason: .unexpectedCharacter, offset: 0) }
    return object
}

func strings(_ value: JSONValue?) -> [String] {
    guard case .array(let values)? = value else { return [] }
    return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
}

@Suite struct MetaEncodingTests {
    let destination = MetaDestination(
        configuration: MetaDestinationConfiguration(pixelID: "1234567890", accessToken: Secret("sandbox-meta-token")))

    func encode(_ event: OrderEvent, now: Int64? = nil) -> EncodingDecision {
        destination.encode(PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now ?? event.occurredAt.epochSeconds + 60))
    }

    @Test func encodesThePurchaseAsMetaDocumentsIt() throws {
        let event = try loadExample("full")
        guard case .send(let payload) = encode(event) else {
            Issue.record("expected the event to be sent")
            return
        }
        let json = try object(payload)
        #expect(json["event_name"] == .string("Purchase"))
        #expect(json["event_time"] == .number(JSONNumber(literal: "1795688130", double: 1_795_688_130)))
        #expect(json["event_id"] == .string("ORD-1001"))
        #expect(json["action_source"] == .string("website"))
        #expect(json["event_source_url"] == .string("https://shop.example/checkout/thank-you"))
        guard case .object(let user)? = json["user_data"], case .object(let custom)? = json["custom_data"] else {
            Issue.record("user_data and custom_data must be objects")
            return
        }
        #expect(strings(user["em"]) == [SHA256.hexDigest("jane.doe+shop@example.com")])
        #expect(strings(user["ph"]) == [SHA256.hexDigest("49301234567")])
        #expect(strings(user["fn"]) == [SHA256.hexDigest("zoë")])
        #expect(strings(user["ln"]) == [SHA256.hexDigest("müller")])
        #expect(strings(user["ct"]) == [SHA256.hexDigest("münchen")])
        #expect(strings(user["st"]) == [SHA256.hexDigest("bayern")])
        #expect(strings(user["zp"]) == [SHA256.hexDigest("80331")])
        #expect(strings(user["country"]) == [SHA256.hexDigest("de")])
        #expect(strings(user["db"]) == [SHA256.hexDigest("19900216")])
        #expect(strings(user["ge"]) == [SHA256.hexDigest("f")])
        #expect(strings(user["external_id"]) == [SHA256.hexDigest("cust-42")])
        // Never hashed (§1): IP, user agent, fbc, fbp, exactly as captured.
        #expect(user["client_ip_address"] == .string("203.0.113.7"))
        #expect(user["client_user_agent"] == .string("Mozilla/5.0 (X11; Linux x86_64)"))
        #expect(user["fbc"] == .string("fb.1.1732600000000.IwAR2abcDEF"))
        #expect(user["fbp"] == .string("fb.1.1732600000000.1234567890"))
        #expect(custom["currency"] == .string("EUR"))
        #expect(custom["value"] == .number(JSONNumber(literal: "129.9", double: 129.9)))
        #expect(custom["order_id"] == .string("ORD-1001"))
        #expect(strings(custom["content_ids"]) == ["SKU-SHOE-03", "SKU-SOCK-05"])
        #expect(custom["num_items"] == .number(JSONNumber(literal: "4", double: 4)))
        #expect(json["data_processing_options"] == nil)
        // Same input, same bytes: a redelivery is byte-identical for Meta's deduplication.
        guard case .send(let again) = encode(event) else { return }
        #expect(again == payload)
    }

    @Test func limitedDataUseAddsProcessingOptions() throws {
        var event = try loadExample("full")
        event.consent.limitedDataUse = true
        guard case .send(let payload) = encode(event) else {
            Issue.record("expected the event to be sent")
            return
        }
        let json = try object(payload)
        #expect(strings(json["data_processing_options"]) == ["LDU"])
        #expect(json["data_processing_options_country"] == .number(JSONNumber(literal: "0", double: 0)))
    }

    @Test func exclusionsSayWhy() throws {
        var noConsent = try loadExample("full")
        noConsent.consent.marketing = false
        guard case .exclude(let consent) = encode(noConsent) else {
            Issue.record("no consent must not be sent")
            return
        }
        #expect(consent.reason == "no_consent")
        #expect(!consent.deadLetter)

        let old = try loadExample("full")
        guard case .exclude(let age) = encode(old, now: old.occurredAt.epochSeconds + 8 * 86_400) else {
            Issue.record("an event older than 7 days must not be sent to Meta")
            return
        }
        #expect(age.reason == "too_old")
        #expect(age.deadLetter)

        var noAgent = try loadExample("full")
        noAgent.context.userAgent = nil
        guard case .exclude(let missing) = encode(noAgent) else {
            Issue.record("website events need a user agent")
            return
        }
        #expect(missing.reason == "missing_required_field")

        var weak = try loadExample("full")
        weak.customer = OrderEvent.Customer()
        weak.customer.city = RawPII("Berlin")
        weak.context.ip = nil
        weak.context.fbp = nil
        weak.context.fbc = nil
        guard case .exclude(let insufficient) = encode(weak) else {
            Issue.record("city plus user agent alone is insufficient for Meta")
            return
        }
        #expect(insufficient.reason == "insufficient_customer_information")
    }

    @Test func requestCarriesTheTokenInTheFormBodyNotTheURL() throws {
        var configuration = destination.configuration
        configuration.testEventCode = "TEST123"
        configuration.endpoint = "http://127.0.0.1:9/"
        let request = MetaDestination(configuration: configuration).makeRequest([Array("{\"a\":1}".utf8), Array("{\"b\":2}".utf8)])
        #expect(request.url == "http://127.0.0.1:9/v26.0/1234567890/events")
        #expect(!request.url.contains("token"))
        // multipart/form-data, as `curl -F` in Meta's example: the events as they were encoded.
        let boundary = MetaDestination.boundaryBase
        #expect(request.headers.map(\.name) == ["Content-Type"])
        #expect(request.headers.first?.value == "multipart/form-data; boundary=\(boundary)")
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(
            body == "--\(boundary)\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n[{\"a\":1},{\"b\":2}]\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"access_token\"\r\n\r\nsandbox-meta-token\r\n"
                + "--\(boundary)\r\nContent-Disposition: form-data; name=\"test_event_code\"\r\n\r\nTEST123\r\n--\(boundary)--\r\n")
        #expect(request.content.count == request.body.count)
    }

    /// The boundary occurs in neither the token nor the test code, whatever they hold; the events
    /// cannot hold the delimiter, as JSON escapes every line break.
    @Test func theMultipartBoundaryAvoidsTheTokenAndTheTestCode() throws {
        var configuration = destination.configuration
        configuration.accessToken = Secret("a\r\n--\(MetaDestination.boundaryBase)x")
        configuration.testEventCode = "--\(MetaDestination.boundaryBase)\r\n"
        let events = [Array("{\"n\":\"--\(MetaDestination.boundaryBase)\\r\\n\"}".utf8)]
        let request = MetaDestination(configuration: configuration).makeRequest(events)
        let contentType = try #require(request.headers.first { $0.name == "Content-Type" }?.value)
        let boundary = try #require(MultipartFormDecoding.boundary(ofContentType: contentType))
        #expect(boundary.hasPrefix(MetaDestination.boundaryBase) && boundary != MetaDestination.boundaryBase + "x")
        let parts = try #require(MultipartFormDecoding.decodeBytes(request.body, boundary: boundary))
        #expect(parts["data"] == Array("[".utf8) + events[0] + Array("]".utf8))
        #expect(parts["access_token"].map { String(decoding: $0, as: UTF8.self) } == configuration.accessToken.unredactedValue)
        #expect(parts["test_event_code"].map { String(decoding: $0, as: UTF8.self) } == configuration.testEventCode)
    }

    @Test(arguments: [
        (200, nil as String?, #"{"events_received":2,"messages":[],"fbtrace_id":"x"}"#, "delivered"),
        (200, nil, #"{"events_received":1,"messages":[],"fbtrace_id":"x"}"#, "retryable"),
        (429, "7", #"{"error":{"code":17,"error_subcode":2446079,"message":"m","type":"OAuthException"}}"#, "retryable"),
        (400, nil, #"{"error":{"code":613,"message":"m","type":"OAuthException"}}"#, "retryable"),
        (500, nil, #"{"error":{"code":2,"message":"m","is_transient":true}}"#, "retryable"),
        (503, nil, "<html>bad gateway</html>", "retryable"),
        (400, nil, #"{"error":{"code":190,"message":"Invalid OAuth access token","type":"OAuthException"}}"#, "rejected:auth"),
        (403, nil, #"{"error":{"code":200,"message":"Permissions error"}}"#, "rejected:permission"),
        (400, nil, #"{"error":{"code":100,"error_subcode":2804050,"message":"Invalid parameter"}}"#, "rejected:invalid_event:isolatable"),
        (400, nil, #"{"error":{"code":100,"error_subcode":33,"message":"no such object"}}"#, "rejected:configuration"),
    ])
    func classifiesResponses(status: Int, retryAfter: String?, body: String, expected: String) {
        let outcome = destination.classify(HTTPResponse(status: status, retryAfter: retryAfter, body: Array(body.utf8)), eventCount: 2)
        let summary: String
        switch outcome {
        case .delivered: summary = "delivered"
        case .retryable(_, let after):
            summary = "retryable"
            if retryAfter != nil { #expect(after == 7) }
        case .rejected(let errorClass, _, let isolatable): summary = "rejected:\(errorClass)" + (isolatable ? ":isolatable" : "")
        case .partial: summary = "partial"
        case .refused: summary = "refused"
        case .unauthorized: summary = "unauthorized"
        }
        #expect(summary == expected)
    }
}

/// The encoder, libcurl client and sandbox together, over real HTTP on loopback.
@Suite struct MetaSandboxRoundTripTests {
    func withSandbox(_ body: (SandboxServer, MetaDestination, CurlHTTPClient) async throws -> Void) async throws {
        let sandbox = try await SandboxServer()
        var configuration = MetaDestinationConfiguration(
            pixelID: sandbox.accounts.metaPixelID, accessToken: Secret(sandbox.accounts.metaAccessToken))
        configuration.endpoint = sandbox.baseURL
        let client = CurlHTTPClient()
        try await body(sandbox, MetaDestination(configuration: configuration), client)
        client.shutdown()
        try await sandbox.shutdown()
    }

    func events(_ count: Int, now: Int64, oldIndex: Int? = nil) throws -> [[UInt8]] {
        let base = try loadExample("full")
        let destination = MetaDestination(configuration: MetaDestinationConfiguration(pixelID: "1", accessToken: Secret("t")))
        return (0..<count).map { index in
            var event = base
            event.orderID = "ORD-\(index)"
            event.occurredAt.epochSeconds = index == oldIndex ? now - 8 * 86_400 : now - 60
            // Encode with a clock that lets the old event through, so the sandbox must catch it.
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: event.occurredAt.epochSeconds)
            guard case .send(let payload) = destination.encode(prepared) else {
                return []
            }
            return payload
        }
    }

    @Test func acceptedEventsLandInTheLedger() async throws {
        try await withSandbox { sandbox, destination, client in
            let now = Int64(Date().timeIntervalSince1970)
            let batch = try events(3, now: now)
            let response = try await client.execute(destination.makeRequest(batch))
            #expect(response.status == 200)
            #expect(destination.classify(response, eventCount: 3) == .delivered)
            #expect(sandbox.receipts("meta").map(\.eventID) == ["ORD-0", "ORD-1", "ORD-2"])
            #expect(sandbox.receipts("meta")[0].payloadSHA256 == SHA256.hexDigest(batch[0]))
        }
    }

    /// A JSON body (`{"data":[…],"access_token":…}`) is read like the form body.
    @Test func aJSONBodyIsAcceptedLikeTheForm() async throws {
        try await withSandbox { sandbox, destination, client in
            let batch = try events(2, now: Int64(Date().timeIntervalSince1970))
            var request = destination.makeRequest(batch)
            request.headers = request.headers.filter { $0.name.lowercased() != "content-type" } + [(name: "Content-Type", value: "application/json")]
            request.body = Array("{\"access_token\":\"\(sandbox.accounts.metaAccessToken)\",\"data\":[".utf8) + batch[0] + Array(",".utf8) + batch[1] + Array("]}".utf8)
            let response = try await client.execute(request)
            #expect(response.status == 200)
            #expect(sandbox.receipts("meta").map(\.eventID) == ["ORD-0", "ORD-1"])
        }
    }

    /// The URL-encoded form (the relay's body before multipart) is read like the multipart one; a
    /// multipart body cut short is refused, with nothing recorded.
    @Test func aURLEncodedBodyIsAcceptedAndACutMultipartOneRefused() async throws {
        try await withSandbox { sandbox, destination, client in
            let batch = try events(2, now: Int64(Date().timeIntervalSince1970))
            var form = destination.makeRequest(batch)
            form.headers = [(name: "Content-Type", value: "application/x-www-form-urlencoded")]
            var body = Array("data=".utf8)
            FormURLEncoding.append(Array("[".utf8) + batch[0] + Array(",".utf8) + batch[1] + Array("]".utf8), to: &body)
            body += Array("&access_token=\(sandbox.accounts.metaAccessToken)".utf8)
            form.body = body
            #expect(try await client.execute(form).status == 200)
            #expect(sandbox.receipts("meta").map(\.eventID) == ["ORD-0", "ORD-1"])

            var cut = destination.makeRequest(try events(1, now: Int64(Date().timeIntervalSince1970)))
            cut.body = Array(cut.body.dropLast(40))
            let refused = try await client.execute(cut)
            #expect(refused.status == 400)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("multipart body could not be parsed"))
            #expect(sandbox.receipts("meta").count == 2)
        }
    }

    @Test func oneOldEventFailsTheWholeBatch() async throws {
        try await withSandbox { sandbox, destination, client in
            let now = Int64(Date().timeIntervalSince1970)
            let response = try await client.execute(destination.makeRequest(try events(3, now: now, oldIndex: 1)))
            #expect(response.status == 400)
            guard case .rejected(_, _, let isolatable) = destination.classify(response, eventCount: 3) else {
                Issue.record("expected a rejection")
                return
            }
            #expect(isolatable)
            #expect(sandbox.receipts("meta").isEmpty)
        }
    }

    @Test func wrongTokenIsAnAuthError() async throws {
        try await withSandbox { sandbox, destination, client in
            var configuration = destination.configuration
            configuration.accessToken = Secret("wrong")
            let wrong = MetaDestination(configuration: configuration)
            let response = try await client.execute(wrong.makeRequest(try events(1, now: Int64(Date().timeIntervalSince1970))))
            guard case .rejected(let errorClass, _, _) = wrong.classify(response, eventCount: 1) else {
                Issue.record("expected a rejection")
                return
            }
            #expect(errorClass == "auth")
            #expect(sandbox.receipts("meta").isEmpty)
        }
    }

    @Test func batchesOverTheLimitAreRejected() async throws {
        try await withSandbox { _, destination, client in
            let one = try events(1, now: Int64(Date().timeIntervalSince1970))[0]
            let response = try await client.execute(destination.makeRequest(Array(repeating: one, count: 1001)))
            #expect(response.status == 400)
        }
    }

    @Test func injectedThrottlingCarriesRetryAfter() async throws {
        try await withSandbox { sandbox, destination, client in
            sandbox.inject(InjectedFault(.throttle(retryAfterSeconds: 3)), into: "meta")
            let batch = try events(1, now: Int64(Date().timeIntervalSince1970))
            let first = try await client.execute(destination.makeRequest(batch))
            #expect(first.status == 429)
            #expect(destination.classify(first, eventCount: 1) == .retryable(reason: "Graph error code 17 subcode 2446079 (throttled)", retryAfterSeconds: 3))
            let second = try await client.execute(destination.makeRequest(batch))
            #expect(second.status == 200)
            #expect(sandbox.requestCount("meta") == 2)
        }
    }

    @Test func transportErrorsAreReportedWithoutTheURL() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        do {
            _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/v26.0/1/events?access_token=SECRET", body: [1]))
            Issue.record("expected a connection error")
        } catch {
            #expect(error.kind == .transport)
            #expect(!error.description.contains("SECRET"))
        }
    }
}
