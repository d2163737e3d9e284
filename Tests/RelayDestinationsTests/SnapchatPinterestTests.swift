import Foundation
import RelayCore
import RelayCrypto
import RelayDestinations
import RelayHTTP
import RelayPII
import RelaySandbox
import Testing

/// Snapchat's v3 body and answers, as its official SDK models them (Snapchat/business-sdk-v3-java).
@Suite struct SnapchatRulesTests {
    let snapchat = destinations().first { $0.name == "snapchat" }!

    /// `model/UserData.java`: `private String externalId` (one string); no `db` member.
    /// `model/Content.java`: `quantity`, `item_price` strings. `model/CustomData.java`: `BigDecimal value`.
    @Test func bodyFollowsTheSDKModel() throws {
        let event = try loadExample("full")
        let json = try object(try #require(payload(snapchat, event)))
        guard case .object(let user)? = json["user_data"], case .object(let custom)? = json["custom_data"],
            case .array(let contents)? = custom["contents"], case .object(let first)? = contents.first
        else {
            Issue.record("user_data, custom_data and contents expected")
            return
        }
        #expect(user["external_id"] == .string(SHA256.hexDigest("cust-42")))
        #expect(user["db"] == nil)
        #expect(strings(user["em"]) == [SHA256.hexDigest("jane.doe+shop@example.com")])
        #expect(first["quantity"] == .string("1"))
        #expect(first["item_price"] == .string("99.95"))
        #expect(custom["value"] == .number(JSONNumber(129.9)))
        #expect(custom["order_id"] == .string("ORD-1001"))
        // Every list-valued key of the model is a list of digests; no key outside the model.
        let model: Set<String> = [
            "em", "ph", "fn", "ln", "ct", "st", "zp", "country", "ge", "external_id", "client_ip_address", "client_user_agent",
            "sc_click_id", "sc_cookie1", "mobile_ad_id", "idfv",
        ]
        #expect(Set(user.keys).isSubset(of: model), "\(user.keys)")
    }

    @Test(arguments: [
        // api/openapi.yaml EventResponse: status VALID | INVALID.
        (200, #"{"status":"VALID","reason":"ok"}"#, 3, "delivered"),
        // A 200 whose status is not VALID is not delivered (the SDK logs it as a warning).
        (200, #"{"status":"INVALID","reason":"Insufficient PII","event":0,"errors":{"codes":["INSUFFICIENT_PII"],"error_msgs":["no identifiers"]}}"#, 1, "rejected:invalid_event"),
        // The answer names the failing event of a batch: that one is set aside, the others resent.
        (400, #"{"status":"INVALID","reason":"x","event":2,"errors":{"codes":["UNHASHED_PII"],"error_msgs":["em must be hashed"]}}"#, 3, "refused:2"),
        (200, #"{"status":"INVALID","reason":"x","event":0}"#, 3, "refused:0"),
        // An index outside the batch names nothing: split to find the bad event.
        (400, #"{"status":"INVALID","reason":"x","event":3}"#, 3, "rejected:invalid_event:isolatable"),
        (400, #"{"status":"INVALID","reason":"x"}"#, 3, "rejected:invalid_event:isolatable"),
        (400, #"{"status":"INVALID","reason":"x","event":0}"#, 1, "rejected:invalid_event"),
        (400, "not json", 3, "rejected:invalid_event:isolatable"),
        (401, #"{"status":"INVALID","reason":"Unauthorized"}"#, 3, "rejected:auth"),
        (403, #"{"status":"INVALID","reason":"Forbidden"}"#, 3, "rejected:permission"),
        (429, "", 3, "retryable"),
        (503, "", 3, "retryable"),
    ])
    func classifiesEventResponses(status: Int, body: String, events: Int, expected: String) {
        #expect(summary(snapchat.classify(HTTPResponse(status: status, body: Array(body.utf8)), eventCount: events)) == expected)
    }

    @Test func theFailingEventAndSnapchatsWordsAreInTheReason() {
        let body = #"{"status":"INVALID","reason":"x","event":2,"errors":{"codes":["UNHASHED_PII"],"error_msgs":["em must be hashed"]}}"#
        let answer = SnapchatEventResponse(body: Array(body.utf8))
        #expect(answer?.failingEvent == 2)
        #expect(answer?.codes == ["UNHASHED_PII"])
        #expect(
            snapchat.classify(HTTPResponse(status: 400, body: Array(body.utf8)), eventCount: 3)
                == .refused(failing: [2: "HTTP 400 INVALID event 2: UNHASHED_PII: em must be hashed"]))
    }
}

/// Pinterest's answers and fields (pinterest/api-description v5/openapi.yaml).
@Suite struct PinterestRulesTests {
    let pinterest = destinations().first { $0.name == "pinterest" }!

    /// 422 "Not all events were successfully processed": with one status per event in `details`,
    /// only the failed events are set aside and the processed ones are delivered (not resent).
    @Test func a422WithPerEventStatusesSetsAsideOnlyTheFailedEvents() {
        let body = #"{"code":4221,"message":"Not all events were successfully processed.","details":{"num_events_received":3,"num_events_processed":2,"events":[{"status":"processed","error_message":null},{"status":"failed","error_message":"em must be hashed"},{"status":"processed","error_message":null}]}}"#
        let outcome = pinterest.classify(HTTPResponse(status: 422, body: Array(body.utf8)), eventCount: 3)
        #expect(outcome == .partial(rejected: [1: "Pinterest reported the event as failed: em must be hashed"]))
    }

    /// Without per-event statuses the relay cannot tell: it splits (the safe fallback) and says so.
    @Test(arguments: [
        #"{"code":4221,"message":"Not all events were successfully processed.","details":{}}"#,
        #"{"code":4221,"message":"Not all events were successfully processed.","details":{"events":[{"status":"failed"}]}}"#,
        "",
    ])
    func a422ThatCannotTellSplitsTheBatchAndSaysSo(body: String) {
        let outcome = pinterest.classify(HTTPResponse(status: 422, body: Array(body.utf8)), eventCount: 3)
        guard case .rejected("invalid_event", let reason, true) = outcome else {
            Issue.record("an isolatable rejection expected, got \(outcome)")
            return
        }
        #expect(reason.contains("does not say which"))
    }

    /// `opt_out`: "whether the user has opted out of tracking" (web); Limit Ad Tracking or Ads
    /// Personalization opt-out (apps). Either refusal sets it; no answer does not.
    @Test(arguments: [
        (Bool?.none, Bool?.none, false), (true, true, false), (false, true, true), (true, false, true), (false, false, true),
        (nil, false, true), (false, nil, true),
    ])
    func optOutFollowsEitherRefusal(adUserData: Bool?, adPersonalization: Bool?, optOut: Bool) throws {
        var event = try loadExample("full")
        event.consent.adUserData = adUserData
        event.consent.adPersonalization = adPersonalization
        let json = try object(try #require(payload(pinterest, event)))
        #expect((json["opt_out"] == .bool(true)) == optOut)
        #expect(json["opt_out"] == nil || json["opt_out"] == .bool(true))
    }

    /// `st`: "two-letter code" (v5/openapi.yaml user_data.st): ISO 3166-2 subdivision codes where
    /// the order's country is mapped; elsewhere a two-letter value as given, and names left out.
    @Test(arguments: [
        ("DE", "Bayern", "by"), ("DE", "Bavaria", "by"), ("DE", "DE-BY", "by"), ("DE", "Baden-Wuerttemberg", "bw"),
        ("DE", "baden-württemberg", "bw"), ("CA", "Québec", "qc"), ("CA", "Quebec", "qc"), ("CA", "ON", "on"),
        ("AU", "New South Wales", "nsw"), ("AU", "vic", "vic"), ("BR", "São Paulo", "sp"), ("CH", "Zürich", "zh"),
        ("CH", "Geneva", "ge"), ("US", "California", "ca"), ("US", "ny", "ny"), ("IT", "MI", "mi"),
        ("DE", "Ile-de-France", nil), ("FR", "Île-de-France", nil), ("US", "Bayern", nil),
    ] as [(String, String, String?)])
    func stateIsTheSubdivisionCode(country: String, state: String, code: String?) {
        let normalizer = IdentityNormalizer()
        let value = try? normalizer.normalize(.state, RawPII(state), for: .pinterest, countryHint: RawPII(country))
        #expect(value?.digest?.hex == code.map { SHA256.hexDigest($0) }, "\(country) \(state)")
        // Meta's rule is unchanged: lower-case letters outside the US.
        if country == "DE", state == "Bayern" {
            let meta = try? normalizer.normalize(.state, RawPII(state), for: .meta, countryHint: RawPII(country))
            #expect(meta?.digest?.hex == SHA256.hexDigest("bayern"))
        }
    }
}

func summary(_ outcome: DeliveryOutcome) -> String {
    switch outcome {
    case .delivered: "delivered"
    case .retryable: "retryable"
    case .rejected(let errorClass, _, let isolatable): "rejected:\(errorClass)" + (isolatable ? ":isolatable" : "")
    case .partial(let rejected): "partial:" + rejected.keys.sorted().map(String.init).joined(separator: ",")
    case .refused(let failing): "refused:" + failing.keys.sorted().map(String.init).joined(separator: ",")
    case .unauthorized: "unauthorized"
    }
}
