import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayKafka
import RelaySandbox
import RelayService
import Testing

/// The relay on librdkafka's mock cluster (real Kafka protocol over TCP) and the sandbox APIs.
/// Serialized: each test runs a cluster, a sandbox and one or more relays on a 2-core machine.
/// Engine rules without a real boundary in them (poison records to the retry topic, a rejected
/// event isolated by splitting) are proven on in-memory boundaries in RelayEngineTests; the
/// retry topic over the mock cluster is exercised by ScenarioTests and BadInputCorpusRelayTests,
/// a rejected event through the sandboxes by AllPlatformsTests.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RelayEndToEndTests {
    /// Both members join in the mock's first-join window and split the partitions; a few thousand
    /// orders keep both busy past the join (what the test proves), more would only take longer.
    @Test func twoInstancesInOneGroupShareAndDeliverEveryOrder() async throws {
        let total = 4_000
        let fixture = try await Fixture.make(brokers: 3, partitions: 4)
        let orders = samples(total)
        let positions = try await fixture.publish(orders)
        #expect(positions.count == total)
        // Slow the platform a little so the run outlasts the group join and both members work.
        fixture.sandbox.setLatency(40, for: "meta")
        var configuration = fixture.configuration()
        configuration.destinations.meta?.batchPolicy.maximumEvents = 100
        configuration.delivery.maximumConcurrentRequests = 2
        configuration.delivery.highWatermarkEvents = 600
        configuration.delivery.lowWatermarkEvents = 300
        let first = try RunningRelay(configuration)
        let second = try RunningRelay(configuration)
        let inspector = try fixture.inspector()
        let settled = try await eventually(seconds: 180) {
            let offsets = try inspector.committedAndEnd(topic: "orders")
            return offsets.end == Int64(total) && offsets.committed == offsets.end
        }
        try await first.stop()
        try await second.stop()
        #expect(settled)
        #expect(try inspector.committedAndEnd(topic: "orders") == (committed: Int64(total), end: Int64(total)))

        let receipts = fixture.sandbox.receipts("meta")
        expectSameEventIDs(Set(receipts.map(\.eventID)), deliverable(orders))
        // Any repeat (a rebalance can re-send in-flight events) is byte-identical, so Meta dedups it.
        for (_, copies) in Dictionary(grouping: receipts, by: \.eventID) where copies.count > 1 {
            #expect(Set(copies.map(\.payloadSHA256)).count == 1)
        }
        let a = first.engine.statistics
        let b = second.engine.statistics
        #expect(a.valid > 0 && b.valid > 0, "both members must have consumed: \(a.valid) + \(b.valid)")
        #expect((a.delivered["meta"] ?? 0) + (b.delivered["meta"] ?? 0) >= deliverable(orders).count)
        #expect((a.excluded["meta"]?["no_consent"] ?? 0) + (b.excluded["meta"]?["no_consent"] ?? 0) >= total - deliverable(orders).count)
    }

    /// The sandbox's faults through libcurl: a 429 with Retry-After, two 503s and a dropped
    /// connection are retried and every order is delivered.
    @Test func throttlingOutagesAndDroppedConnectionsAreRetried() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        fixture.sandbox.inject(InjectedFault(.throttle(retryAfterSeconds: 1), count: 1), into: "meta")
        fixture.sandbox.inject(InjectedFault(.serverError(status: 503), count: 2), into: "meta")
        fixture.sandbox.inject(InjectedFault(.dropConnection, count: 1), into: "meta")
        let orders = samples(50)
        _ = try await fixture.publish(orders)
        let relay = try RunningRelay(fixture.configuration(group: "retries"))
        let inspector = try fixture.inspector(group: "retries")
        let settled = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 50 }
        try await relay.stop()
        #expect(settled)
        expectSameEventIDs(Set(fixture.sandbox.receipts("meta").map(\.eventID)), deliverable(orders))
        // Every fault was served. libcurl itself retries once when a reused connection dies
        // before any reply, so the dropped connection may not reach our retry loop; the 429 and
        // the two 503s must.
        #expect(fixture.sandbox.pendingFaults("meta") == 0)
        let statistics = relay.engine.statistics
        #expect((statistics.retries["meta"] ?? 0) >= 3)
        #expect(statistics.handedToRetryTopic["meta"] == nil)
    }
}
