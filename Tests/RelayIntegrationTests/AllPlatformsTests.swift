import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct AllPlatformsTests {
    /// One event with a clock a day ahead: every platform refuses it in its own way (Meta and
    /// Google fail the whole request, TikTok answers 20001 partial, Pinterest 422, Snapchat 400).
    /// The relay isolates it on each and delivers everything else; Google's access token expires
    /// between the two halves and is refreshed.
    @Test func badEventIsIsolatedOnEveryPlatformAndGoogleTokensRefresh() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        var orders = samples(120, seed: 3)
        let skewed = SampleOrderGenerator(seed: 3, malformedEvery: 0, nowSeconds: Int64(Date().timeIntervalSince1970) + 86_400)
        orders[30] = skewed.sample(30)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = fixture.configuration(group: "five")
        configuration.destinations = try .sandbox(fixture.sandbox, http: http, lingerMilliseconds: 200)
        let relay = try RunningRelay(configuration)
        let inspector = try fixture.inspector(group: "five")

        let firstPositions = try await fixture.publish(Array(orders[..<60]))
        let firstHalf = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 60 }
        #expect(firstHalf)
        fixture.sandbox.expireGoogleTokens()
        _ = try await fixture.publish(Array(orders[60...]))
        let settled = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 120 }
        try await relay.stop()
        #expect(settled)

        // Orders refusing marketing go nowhere; the skewed one goes nowhere either.
        let refused = Set(orders.filter { !$0.marketingConsent }.map(\.orderID))
        let expected = deliverable(orders).subtracting([orders[30].orderID])
        for platform in ["meta", "google", "tiktok", "pinterest", "snapchat"] {
            let receipts = fixture.sandbox.receipts(platform)
            expectSameEventIDs(Set(receipts.map(\.eventID)), expected, platform)
            for (_, copies) in Dictionary(grouping: receipts, by: \.eventID) where copies.count > 1 {
                #expect(Set(copies.map(\.payloadSHA256)).count == 1, "\(platform) repeats must be byte-identical")
            }
        }
        let retry = try fixture.readAll("orders.conversion-retry", expected: 5)
        let envelopes = retry.compactMap { RetryEnvelope(headers: $0.headers) }
        #expect(Set(envelopes.compactMap(\.destination)) == ["meta", "google", "tiktok", "pinterest", "snapchat"])
        #expect(envelopes.allSatisfy { $0.origin == firstPositions[orders[30].orderID] })
        // Pinterest and Snapchat name the failing event (per-event status; `INVALID` with its index
        // in the batch) and the field: that event alone is set aside, with the platform's reason.
        let named = envelopes.filter { ["pinterest", "snapchat"].contains($0.destination ?? "") }.map(\.reason)
        #expect(named.contains { $0.contains("event_time") }, "\(named)")
        #expect(envelopes.first { $0.destination == "snapchat" }?.reason.contains("INVALID event ") == true, "\(named)")
        let statistics = relay.engine.statistics
        #expect(statistics.handedToRetryTopic.values.reduce(0, +) == 5)
        #expect(statistics.excluded["google"]?["no_consent"] == refused.count)
    }
}
