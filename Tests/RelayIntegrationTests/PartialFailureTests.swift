import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
import Testing

/// One bad event in a batch, through the relay, the mock cluster and the sandbox: only that event
/// is set aside (to the retry topic), every other one reaches the platform exactly once.
@Suite(.serialized, .timeLimit(.minutes(5))) struct PartialFailureTests {
    /// An order dated ten minutes ahead: the encoders send it, and Pinterest's and Snapchat's
    /// sandboxes refuse its `event_time` (not in the future), as the platforms do.
    func futureDated(_ sample: SampleOrderGenerator.Sample) -> SampleOrderGenerator.Sample {
        var copy = sample
        let text = String(decoding: sample.bytes, as: UTF8.self)
        let future = RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) + 600)
        copy.bytes = Array(text.replacing(/"occurred_at":"[^"]*"/, with: "\"occurred_at\":\"\(future)\"").utf8)
        return copy
    }

    @Test func onlyTheFailingEventIsSetAsideAndNoAcceptedEventIsSentTwice() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        var orders = samples(12, seed: 31).filter { $0.isValid && $0.marketingConsent }
        try #require(orders.count >= 4)
        let bad = orders.count / 2
        orders[bad] = futureDated(orders[bad])
        _ = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = fixture.configuration(group: "partial")
        // Every order in one batch per platform: the batch closes when the last one arrives.
        let all = try DestinationSettings.sandbox(fixture.sandbox, http: http, lingerMilliseconds: 60_000)
        configuration.destinations = DestinationSettings(pinterest: all.pinterest, snapchat: all.snapchat)
        configuration.destinations.pinterest?.batchPolicy.maximumEvents = orders.count
        configuration.destinations.snapchat?.batchPolicy.maximumEvents = orders.count
        let relay = try RunningRelay(configuration)
        let good = Set(orders.map(\.orderID)).subtracting([orders[bad].orderID])
        let retried = try fixture.readAll("orders.conversion-retry", expected: 2, seconds: 60)
        let settled = await eventually(seconds: 30) {
            Set(fixture.sandbox.receipts("pinterest").map(\.eventID)) == good
                && Set(fixture.sandbox.receipts("snapchat").map(\.eventID)) == good
        }
        try await relay.stop()
        #expect(settled)
        for platform in ["pinterest", "snapchat"] {
            let receipts = fixture.sandbox.receipts(platform).map(\.eventID)
            #expect(receipts.count == good.count, "\(platform) received an event twice: \(receipts.count) for \(good.count)")
        }
        // Pinterest's 422 names the failed event: one request, nothing split or resent.
        #expect(fixture.sandbox.requestCount("pinterest") == 1)
        // Snapchat's INVALID refuses the whole request and names the failing event: that one is
        // set aside and the others resent at once, two requests in all (no bisection).
        #expect(fixture.sandbox.requestCount("snapchat") == 2)
        let envelopes = retried.compactMap { RetryEnvelope(headers: $0.headers) }
        #expect(Set(envelopes.compactMap(\.destination)) == ["pinterest", "snapchat"])
        #expect(retried.count == 2)
        for record in retried {
            guard case .object(let json) = try JSONParser().parse(record.value), case .string(let id)? = json["order_id"] else {
                Issue.record("an order on the retry topic expected")
                continue
            }
            #expect(id == orders[bad].orderID)
        }
        let reasons = envelopes.map(\.reason).joined(separator: " | ")
        #expect(reasons.contains("event_time"), "\(reasons)")
        // The batch holds the orders in order: Snapchat names the bad one by its index in it.
        #expect(reasons.contains("INVALID event \(bad)"), "\(reasons)")
    }
}
