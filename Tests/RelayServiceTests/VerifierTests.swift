import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelaySandbox
import RelayService
import Testing

/// `verify`: one synthetic purchase per destination through each platform's test mode, against
/// the sandbox, which answers those modes as the platforms document them and records nothing as
/// production data (the executable: RelayIntegrationTests.VerifyCommandTests).
@Suite struct VerifierTests {
    static let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]

    @Test func everyDestinationAcceptsTheTestEventAndNothingIsRecorded() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        configuration.destinations = try .sandbox(sandbox, http: http)
        configuration.stores["shop-us"] = DestinationSettings(pinterest: configuration.destinations.pinterest)
        let verifier = DestinationVerifier(metaTestEventCode: "TEST1", tiktokTestEventCode: "TEST2")
        let results = await verifier.verify(configuration, http: http, nowSeconds: Int64(Date().timeIntervalSince1970))
        #expect(results.map(\.name) == Self.platforms + ["pinterest"])
        #expect(results.last?.store == "shop-us")
        for result in results { #expect(result.accepted, "\(result.line)") }
        for platform in Self.platforms {
            #expect(sandbox.requestCount(platform) == (platform == "pinterest" ? 2 : 1), "\(platform)")
            #expect(sandbox.receipts(platform).isEmpty, "\(platform): a test-mode request was recorded as production data")
        }
        try await sandbox.shutdown()
    }

    /// Without a test event code, Meta and TikTok are not sent to at all (never into the data set).
    @Test func metaAndTikTokWithoutATestEventCodeAreNotSentTo() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        let all = try DestinationSettings.sandbox(sandbox, http: http)
        configuration.destinations = DestinationSettings(meta: all.meta, tiktok: all.tiktok)
        let results = await DestinationVerifier().verify(configuration, http: http, nowSeconds: Int64(Date().timeIntervalSince1970))
        #expect(results.count == 2)
        for result in results {
            #expect(!result.accepted)
            #expect(result.detail.contains("test-event-code"), "\(result.line)")
        }
        #expect(sandbox.requestCount("meta") == 0 && sandbox.requestCount("tiktok") == 0)
        try await sandbox.shutdown()
    }
}

/// `verify`'s decisions without a network: every request it builds is a test-mode request, and
/// each answer becomes the line an operator reads.
@Suite struct VerifyDecisionTests {
    func configuration() -> RelayConfiguration {
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        configuration.destinations = DestinationSettings(
            meta: MetaDestinationConfiguration(pixelID: "1234567890", accessToken: Secret("meta-token")),
            google: GoogleDestinationConfiguration(operatingAccountID: "1", conversionActionID: "2", credentials: .accessTokenFile(path: "/nonexistent")),
            tiktok: TikTokDestinationConfiguration(pixelCode: "C1", accessToken: Secret("tiktok-token")),
            pinterest: PinterestDestinationConfiguration(adAccountID: "3", accessToken: Secret("pinterest-token")),
            snapchat: SnapchatDestinationConfiguration(pixelID: "s1", accessToken: Secret("snapchat-token")))
        return configuration
    }

    /// The test modes the platforms document (destinations.md "Test mode" row): Meta and TikTok
    /// `test_event_code`, Pinterest `?test=true`, Snapchat `/events/validate`, Google `validateOnly`.
    @Test func everyRequestIsATestModeRequest() throws {
        let verifier = DestinationVerifier(metaTestEventCode: "TEST1", tiktokTestEventCode: "TEST2")
        let targets = verifier.targets(configuration())
        #expect(targets.map(\.name) == ["meta", "google", "tiktok", "pinterest", "snapchat"])
        let event = DestinationVerifier.syntheticPurchase(nowSeconds: 1_800_000_000)
        for target in targets {
            let destination = try #require(target.destination, "\(target.name)")
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: 1_800_000_000)
            guard case .send(let payload) = destination.encode(prepared) else {
                Issue.record("\(target.name): the synthetic purchase was not encoded")
                continue
            }
            let request = destination.makeRequest([payload])
            let body = String(decoding: request.body, as: UTF8.self)
            switch target.name {
            case "meta": #expect(body.contains("name=\"test_event_code\"\r\n\r\nTEST1"))
            case "tiktok": #expect(body.contains(#""test_event_code":"TEST2""#))
            case "pinterest": #expect(request.url.hasSuffix("/events?test=true"))
            case "snapchat": #expect(request.url.contains("/v3/s1/events/validate?access_token="))
            case "google": #expect(body.contains(#""validateOnly":true"#))
            default: Issue.record("unexpected destination \(target.name)")
            }
        }
    }

    @Test(arguments: [
        ("pinterest", 403, #"{"code":29,"message":"You are not permitted to access that resource."}"#, false,
         "permission: HTTP 403 code 29: {\"code\":29,\"message\":\"You are not permitted to access that resource.\"} — fix: check destinations.pinterest.ad_account_id"),
        ("snapchat", 400, #"{"status":"INVALID","reason":"x","event":0,"errors":{"codes":["INSUFFICIENT_PII"],"error_msgs":["user_data has no identifier"]}}"#, false,
         "invalid_event: HTTP 400 INVALID event 0: INSUFFICIENT_PII: user_data has no identifier"),
        ("tiktok", 200, #"{"code":40105,"message":"Access token is incorrect or has been revoked."}"#, false,
         "fix: check or rotate destinations.tiktok.access_token"),
        ("meta", 429, #"{"error":{"code":17,"message":"User request limit reached"}}"#, false, "unavailable: "),
        ("meta", 200, #"{"events_received":1,"messages":[],"fbtrace_id":"x"}"#, true, "HTTP 200 through test_event_code"),
    ] as [(String, Int, String, Bool, String)])
    func eachAnswerBecomesALineWithWhatToFix(platform: String, status: Int, body: String, accepted: Bool, excerpt: String) throws {
        let target = try #require(DestinationVerifier(metaTestEventCode: "T", tiktokTestEventCode: "T").targets(configuration()).first { $0.name == platform })
        let verdict = DestinationVerifier.judge(
            target: target, destination: try #require(target.destination), response: HTTPResponse(status: status, body: Array(body.utf8)))
        #expect(verdict.accepted == accepted)
        #expect(verdict.line.contains(excerpt), "\(verdict.line)")
        #expect(verdict.line.hasPrefix("\(platform): " + (accepted ? "accepted" : "FAILED")))
    }
}
