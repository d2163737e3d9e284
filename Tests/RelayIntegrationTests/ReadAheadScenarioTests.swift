import Foundation
import RelayCore
import RelayDestinations
import RelayKafka
import RelaySandbox
import RelayService
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct ReadAheadScenarioTests {
    /// The read-ahead window through the real engine (mock cluster, sandbox): with one
    /// destination ten times slower than the other, the fast one never gets more than
    /// `delivery.read_ahead_events` ahead of the slow one, since both only take events the relay
    /// read, and the slow one has every event below the settled frontiers. That gap is what a
    /// crash would make the fast destination repeat. Without the window the fast destination
    /// finished the backlog while the slow one was at a fraction of it.
    @Test func aFastDestinationStaysWithinTheWindowOfASlowOne() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(2_000, seed: 21)
        let expected = deliverable(orders)
        _ = try await fixture.publish(orders)
        let sandbox = fixture.sandbox
        sandbox.setLatency(200, for: "tiktok")
        var configuration = fixture.configuration(group: "read-ahead")
        configuration.destinations.meta?.batchPolicy.maximumEvents = 100
        var tiktok = TikTokDestinationConfiguration(
            pixelCode: sandbox.accounts.tiktokPixelCode, accessToken: Secret(sandbox.accounts.tiktokAccessToken))
        tiktok.endpoint = sandbox.baseURL
        tiktok.batchPolicy.maximumEvents = 100
        tiktok.batchPolicy.lingerMilliseconds = 50
        configuration.destinations.tiktok = tiktok
        let window = 500
        configuration.delivery.readAheadEvents = window
        // One request at a time: TikTok takes about 500 events a second, Meta many more.
        configuration.delivery.maximumConcurrentRequests = 1
        func delivered(_ platform: String) -> Int { Set(sandbox.receipts(platform).map(\.eventID)).count }

        let relay = try RunningRelay(configuration)
        var widestGap = 0
        let done = await eventually(seconds: 90) {
            let slow = delivered("tiktok")
            let fast = delivered("meta")
            widestGap = max(widestGap, fast - slow)
            return slow == expected.count
        }
        try await relay.stop()
        #expect(done)
        #expect(delivered("meta") == expected.count)
        #expect(widestGap <= window, "the fast destination ran \(widestGap) events ahead of the slow one")
        #expect(widestGap >= window / 2, "the window was in use (the fast destination ran ahead): \(widestGap)")
        print("read-ahead scenario: widest gap \(widestGap) with a window of \(window)")
    }
}
