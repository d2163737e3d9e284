import RelayCore
import RelayDestinations
import RelayHTTP

/// `conversion-relay verify`: sends one synthetic purchase to each enabled destination (of the
/// default settings and of every store) through the platform's test mode, and says per destination
/// whether the platform accepted it or, in the platform's own words, why not and what to fix.
///
/// Test modes (destinations.md "Test mode" rows; each one validates without writing production
/// data): Meta and TikTok `test_event_code` (a code from Events Manager's Test Events tab: the
/// configured one or the command's option; without one the destination is not sent to), Pinterest
/// `?test=true`, Snapchat `/v3/{pixel}/events/validate`, Google `validateOnly: true`.
public struct DestinationVerifier: Sendable {
    /// Test event codes that replace or supply the configured ones.
    public var metaTestEventCode: String?
    public var tiktokTestEventCode: String?

    public init(metaTestEventCode: String? = nil, tiktokTestEventCode: String? = nil) {
        self.metaTestEventCode = metaTestEventCode
        self.tiktokTestEventCode = tiktokTestEventCode
    }

    /// One destination of one settings block, switched to its test mode, or why it cannot be.
    public struct Target: Sendable {
        public var name: String
        /// `nil` for the default destinations.
        public var store: String?
        public var destination: (any ConversionDestination)?
        public var notSent: String?
    }

    /// What came of one destination.
    public struct Verdict: Sendable, Equatable {
        public var name: String
        public var store: String?
        public var accepted: Bool
        /// `accepted (…)` or the failure: the platform's class and words, and what to fix.
        public var detail: String

        /// One line for the operator.
        public var line: String {
            let label = name + (store.map { " (store \($0))" } ?? "")
            return "\(label): " + (accepted ? "accepted" : "FAILED") + " — \(detail)"
        }
    }

    /// The destinations to check, each in its platform's test mode.
    public func targets(_ configuration: RelayConfiguration) -> [Target] {
        var targets = testModeTargets(configuration.destinations, store: nil)
        for store in configuration.stores.keys.sorted() {
            targets += testModeTargets(configuration.stores[store]!, store: store)
        }
        return targets
    }

    private func testModeTargets(_ settings: DestinationSettings, store: String?) -> [Target] {
        var targets: [Target] = []
        if var meta = settings.meta {
            meta.testEventCode = metaTestEventCode ?? meta.testEventCode
            targets.append(
                Self.testEventTarget(
                    "meta", store: store, code: meta.testEventCode, option: "--meta-test-event-code", tab: "Test events"
                ) { MetaDestination(configuration: meta) })
        }
        if var google = settings.google {
            google.validateOnly = true
            targets.append(Target(name: "google", store: store, destination: GoogleDestination(configuration: google)))
        }
        if var tiktok = settings.tiktok {
            tiktok.testEventCode = tiktokTestEventCode ?? tiktok.testEventCode
            targets.append(
                Self.testEventTarget(
                    "tiktok", store: store, code: tiktok.testEventCode, option: "--tiktok-test-event-code", tab: "Test Events"
                ) { TikTokDestination(configuration: tiktok) })
        }
        if var pinterest = settings.pinterest {
            pinterest.testMode = true
            targets.append(Target(name: "pinterest", store: store, destination: PinterestDestination(configuration: pinterest)))
        }
        if var snapchat = settings.snapchat {
            snapchat.validateOnly = true
            targets.append(Target(name: "snapchat", store: store, destination: SnapchatDestination(configuration: snapchat)))
        }
        return targets
    }

    /// Meta and TikTok: the destination when a test event code is set; otherwise nothing is sent,
    /// since without the code the event would land in the production data set.
    private static func testEventTarget(
        _ name: String, store: String?, code: String?, option: String, tab: String,
        destination: () -> any ConversionDestination
    ) -> Target {
        code == nil
            ? Target(name: name, store: store, notSent: "no test event code: pass \(option) with the code from Events Manager › \(tab)")
            : Target(name: name, store: store, destination: destination())
    }

    /// The synthetic purchase: a fixed order of one item, made-up customer data (never a real
    /// person's), all consents given, a minute before `nowSeconds`.
    public static func syntheticPurchase(nowSeconds: Int64) -> OrderEvent {
        let json = """
            {"schema_version":1,"event_type":"order.completed","order_id":"relay-verify-\(nowSeconds)",
            "occurred_at":"\(RFC3339.format(epochSeconds: nowSeconds - 60))","currency":"USD","value":1.00,
            "items":[{"sku":"RELAY-VERIFY","name":"conversion-relay verify","quantity":1,"price":1.00}],
            "customer":{"email":"relay-verify@example.com","city":"Springfield","state":"IL","postal_code":"62701","country":"US"},
            "context":{"ip":"192.0.2.1","user_agent":"conversion-relay-verify/1","page_url":"https://example.com/checkout/thank-you"},
            "consent":{"marketing":true,"ad_user_data":true,"ad_personalization":true,"limited_data_use":false}}
            """
        // The literal above is a valid contract event; a decoding failure is a bug here.
        return try! OrderEventDecoder().decode(Array(json.utf8))
    }

    /// Sends the synthetic purchase to every target through `http`, one at a time, in order;
    /// credentials fetched over HTTP (Google's service-account key) use `http` too.
    public func verify(_ configuration: RelayConfiguration, http: any HTTPExecutor, nowSeconds: Int64) async -> [Verdict] {
        let configuration = configuration.withCredentialProviders(http: http)
        let event = Self.syntheticPurchase(nowSeconds: nowSeconds)
        var results: [Verdict] = []
        for target in targets(configuration) {
            guard let destination = target.destination else {
                results.append(Verdict(name: target.name, store: target.store, accepted: false, detail: target.notSent ?? "not sent"))
                continue
            }
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: nowSeconds)
            let payload: [UInt8]
            switch destination.encode(prepared) {
            case .exclude(let exclusion):
                results.append(Verdict(
                    name: target.name, store: target.store, accepted: false,
                    detail: "the test event could not be built: \(exclusion.reason) (\(exclusion.detail))"))
                continue
            case .send(let bytes): payload = bytes
            }
            var request = destination.makeRequest([payload])
            let response: HTTPResponse
            do {
                try await destination.authorize(&request, forceRefresh: false)
                response = try await http.execute(request)
            } catch let error as CredentialError {
                results.append(Verdict(
                    name: target.name, store: target.store, accepted: false,
                    detail: "credentials: \(error.description) — fix: \(Self.fix(target.name, errorClass: "auth"))"))
                continue
            } catch {
                results.append(Verdict(
                    name: target.name, store: target.store, accepted: false,
                    detail: "no answer: \(error) — fix: check the destination's endpoint and this host's network"))
                continue
            }
            results.append(Self.judge(target: target, destination: destination, response: response))
        }
        return results
    }

    /// What the platform's answer means for the operator (pure: tested without a network).
    public static func judge(target: Target, destination: any ConversionDestination, response: HTTPResponse) -> Verdict {
        let words = platformWords(response, destination: destination)
        let result = { (accepted: Bool, detail: String) in
            Verdict(name: target.name, store: target.store, accepted: accepted, detail: detail)
        }
        switch destination.classify(response, eventCount: 1) {
        case .delivered:
            return result(true, "HTTP \(response.status) through \(testModeName(target.name)) (the platform's test mode: not production data)")
        case .partial(let rejected), .refused(let rejected):
            let reason = rejected.values.sorted().joined(separator: "; ")
            return result(false, "invalid_event: \(reason) — fix: \(fix(target.name, errorClass: "invalid_event"))")
        case .unauthorized(let reason):
            return result(false, "auth: \(reason): \(words) — fix: \(fix(target.name, errorClass: "auth"))")
        case .rejected(let errorClass, let reason, _):
            return result(false, "\(errorClass): \(reason): \(words) — fix: \(fix(target.name, errorClass: errorClass))")
        case .retryable(let reason, _):
            return result(false, "unavailable: \(reason): \(words) — fix: the platform is throttling or down; run verify again later")
        }
    }

    static func testModeName(_ platform: String) -> String {
        switch platform {
        case "meta", "tiktok": "test_event_code"
        case "pinterest": "test=true"
        case "snapchat": "/events/validate"
        case "google": "validateOnly"
        default: "test mode"
        }
    }

    /// The platform's answer, on one line, at most 300 characters, with the destination's secrets
    /// redacted (platforms' error bodies name fields and codes; the event is synthetic anyway).
    static func platformWords(_ response: HTTPResponse, destination: any ConversionDestination) -> String {
        let redacted = destination.redacted(HTTPRequest(url: "", body: response.body)).body
        var text = String(decoding: redacted, as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        if text.isEmpty { return "(empty body)" }
        if text.count > 300 { text = String(text.prefix(300)) + "…" }
        return text
    }

    /// What to fix, per platform and error class.
    static func fix(_ platform: String, errorClass: String) -> String {
        let token: String
        let account: String
        switch platform {
        case "meta":
            token = "destinations.meta.access_token (a system user's token with access to the pixel, from Events Manager › Settings)"
            account = "destinations.meta.pixel_id"
        case "google":
            token = "destinations.google.service_account_key_file (the service account's key) and that the account may use the Data Manager API"
            account = "destinations.google operating_account_id / conversion_action_id, and the service account's access to that account"
        case "tiktok":
            token = "destinations.tiktok.access_token (Events Manager › the pixel › Settings › Generate access token)"
            account = "destinations.tiktok.pixel_code"
        case "pinterest":
            token = "destinations.pinterest.access_token (Ads Manager › Conversions › conversion access token)"
            account = "destinations.pinterest.ad_account_id, and that the token belongs to that ad account"
        case "snapchat":
            token = "destinations.snapchat.access_token (Ads Manager › Events Manager › Conversions API token)"
            account = "destinations.snapchat.pixel_id, and that the token's organisation owns that pixel"
        default:
            token = "the destination's access token"
            account = "the destination's account ids"
        }
        switch errorClass {
        case "auth": return "check or rotate \(token)"
        case "permission", "configuration": return "check \(account)"
        case "invalid_event", "partial_failure":
            return "the platform refused a field of the test event (its message above names it): check the destination's settings (event name, action source, versions)"
        default: return "see the platform's message above"
        }
    }
}
