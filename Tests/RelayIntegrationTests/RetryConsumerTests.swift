import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
import Synchronization
import Testing

/// The retry-topic consumer (issue 4): records handed to the retry topic are held until due,
/// re-sent only to the destination that needs them, and dead-lettered with their history when
/// attempts run out.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RetryConsumerTests {
    func configuration(_ fixture: Fixture, http: any HTTPExecutor, group: String) throws -> RelayConfiguration {
        var configuration = fixture.configuration(group: group)
        let all = try DestinationSettings.sandbox(fixture.sandbox, http: http, lingerMilliseconds: 50)
        configuration.destinations = DestinationSettings(meta: all.meta, tiktok: all.tiktok)
        configuration.delivery.maximumAttempts = 2
        configuration.retry.delaysSeconds = [1]
        return configuration
    }

    /// Writes `orders` to the retry topic as the main consumer parks an event for `destination`
    /// after a failure: the order unchanged, an envelope due now.
    static func park(_ orders: [SampleOrderGenerator.Sample], for destination: String, in fixture: Fixture) throws {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": fixture.cluster.bootstrapServers], logger: testLogger)
        defer { producer.close() }
        let failures = Mutex(0)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for (index, order) in orders.enumerated() {
            let envelope = RetryEnvelope(
                origin: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 0), offset: Int64(index)),
                errorClass: "http_503", reason: "HTTP 503", destination: destination, attempt: 1, firstSeenMilliseconds: now,
                notBeforeMilliseconds: now)
            producer.send(
                topic: "orders.conversion-retry", key: Array(order.orderID.utf8), value: order.bytes, headers: envelope.headers
            ) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        #expect(producer.flush(timeoutMilliseconds: 30_000))
        #expect(failures.withLock { $0 } == 0)
    }

    /// One destination down for longer than the hand-off time, the other up: the commit frontier
    /// still reaches the end (the failing pairs wait in the retry topic, for that destination
    /// only), and the healthy destination receives each event exactly once. When the destination
    /// is back, the retry consumer re-sends each parked event there once it is due, not before.
    @Test func failingDestinationIsHandedOffWithoutHoldingThePartitionThenRetriedAfterItsDelayAndOnlyThere() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(40, seed: 21)
        _ = try await fixture.publish(orders)
        // Meta is down until the main consumer has handed its events to the retry topic, then back.
        fixture.sandbox.inject(InjectedFault(.serverError(status: 503), count: 1_000_000), into: "meta")
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = try configuration(fixture, http: http, group: "retry-ok")
        // Handed off by time, not by attempts: attempts go on until the hand-off time has passed.
        configuration.delivery.maximumAttempts = 100
        configuration.delivery.handoffAfterMilliseconds = 1_000
        let main = try RunningRelay(configuration)
        let retry = try RunningRelay(configuration, role: .retry)
        let expected = deliverable(orders)
        let inspector = try fixture.inspector(group: "retry-ok")
        let handedOff = try await eventually(seconds: 60) {
            try inspector.committedAndEnd(topic: "orders").committed == 40
                && inspector.endOffsets(topic: "orders.conversion-retry").values.reduce(0, +) >= Int64(expected.count)
        }
        #expect(handedOff, "the frontier must advance although Meta is still down")
        #expect(fixture.sandbox.receipts("meta").isEmpty)
        #expect((main.engine.statistics.retries["meta"] ?? 0) >= 2)
        fixture.sandbox.clearFaults("meta")
        let delivered = await eventually(seconds: 60) { Set(fixture.sandbox.receipts("meta").map(\.eventID)) == expected }
        try await main.stop()
        try await retry.stop()
        #expect(delivered)
        expectSameEventIDs(Set(fixture.sandbox.receipts("meta").map(\.eventID)), expected, "meta")
        // TikTok acknowledged the first time: the retry never goes back to it.
        let tiktok = fixture.sandbox.receipts("tiktok")
        #expect(tiktok.count == expected.count)
        expectSameEventIDs(Set(tiktok.map(\.eventID)), expected, "tiktok")

        // Every Meta event went through the retry topic, and none was re-sent before it was due.
        let retried = try fixture.readAll("orders.conversion-retry", expected: expected.count)
        let envelopes = retried.compactMap { RetryEnvelope(headers: $0.headers) }
        #expect(envelopes.count == retried.count)
        #expect(envelopes.allSatisfy { $0.destination == "meta" && $0.notBeforeMilliseconds != nil })
        var dueByOrder: [String: Int64] = [:]
        for (record, envelope) in zip(retried, envelopes) {
            guard case .object(let json) = try JSONParser().parse(record.value), case .string(let id)? = json["order_id"] else { continue }
            dueByOrder[id] = min(dueByOrder[id] ?? .max, envelope.notBeforeMilliseconds ?? .max)
        }
        let retriedIDs = Set(dueByOrder.keys)
        expectSameEventIDs(retriedIDs, expected, "retry topic")
        for receipt in fixture.sandbox.receipts("meta") {
            #expect(receipt.receivedAtMilliseconds >= dueByOrder[receipt.eventID] ?? .max, "\(receipt.eventID) re-sent before it was due")
        }
        #expect((retry.engine.statistics.delivered["meta"] ?? 0) >= retriedIDs.count)
    }

    /// Scenario 11, the crash: a standalone `conversion-relay retry` process is killed with
    /// SIGKILL while it re-sends parked events; a second one finishes. Every parked event reaches
    /// the destination, repeats are byte-identical, the retry group commits to the end of the
    /// retry topic, and the second process exits 0 on SIGTERM.
    @Test func killedRetryConsumerRedeliversOnlyByteIdenticalCopies() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(400, seed: 24)
        let expected = deliverable(orders)
        // Phase 1: every Meta event is parked in the retry topic, due now, with the envelope the
        // main consumer writes when it hands an event off (that hand-off is
        // failingDestinationIsHandedOffWithoutHoldingThePartitionThenRetriedAfterItsDelayAndOnlyThere).
        try Self.park(orders.filter { expected.contains($0.orderID) }, for: "meta", in: fixture)

        // Phase 2: Meta is slow; the retry consumer is killed mid-delivery.
        fixture.sandbox.setLatency(300, for: "meta")
        let config = try writeConfig(
            fixture, group: "retry-crash", extra: "retry:\n  in_process: false\n  delays_s: [1]")
        let environment = ["RELAY_TEST_META_TOKEN": fixture.sandbox.accounts.metaAccessToken]
        let logs = FileManager.default.temporaryDirectory
        let first = try RelayExecutable.start(
            ["retry", "--config", config.path], environment: environment,
            log: logs.appendingPathComponent("relay-retry-crash-1-\(UUID().uuidString).log"))
        let midway = await eventually(seconds: 60) { Set(fixture.sandbox.receipts("meta").map(\.eventID)).count >= 100 }
        #expect(midway)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let deliveredBeforeKill = Set(fixture.sandbox.receipts("meta").map(\.eventID)).count
        #expect(deliveredBeforeKill < expected.count, "the kill must land mid-delivery")

        fixture.sandbox.setLatency(20, for: "meta")
        let killedAt = Date()
        let second = try RelayExecutable.start(
            ["retry", "--config", config.path], environment: environment,
            log: logs.appendingPathComponent("relay-retry-crash-2-\(UUID().uuidString).log"))
        let retryInspector = try fixture.inspector(group: "retry-crash-retry")
        let finished = try await eventually(seconds: 120) {
            let offsets = try retryInspector.committedAndEnd(topic: "orders.conversion-retry")
            return offsets.end == expected.count && offsets.committed == offsets.end
                && Set(fixture.sandbox.receipts("meta").map(\.eventID)).count == expected.count
        }
        let recovered = Date().timeIntervalSince(killedAt)
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(finished)
        #expect(second.terminationStatus == 0)
        let ledger = checkLedger(fixture, expected: expected)
        reportScenario(
            "11-retry-consumer-killed",
            [
                "events_in": orders.count, "delivered": ledger.delivered, "repeats": ledger.totalRepeats,
                "retry_topic": expected.count, "dlq": 0, "delivered_before_kill": deliveredBeforeKill,
                "time_to_recover_s": (recovered * 10).rounded() / 10,
            ])
    }

    /// A destination that refuses every attempt (a pixel that does not exist): each record is
    /// dead-lettered with its history once the retry attempts run out, and the other destination
    /// got it once. After the fix (the right pixel id), `replay` sends the dead letters back
    /// through the retry topic, selected by destination and by the reason the relay wrote, and
    /// the retry consumer delivers them there only.
    @Test func exhaustedRecordsAreDeadLetteredWithTheirHistoryThenReplayedAfterAFix() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        let orders = samples(6, seed: 22)
        let positions = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var broken = try configuration(fixture, http: http, group: "retry-exhausted")
        broken.destinations.meta?.pixelID = "999"  // a pixel that does not exist: refused every time
        broken.retry.delaysSeconds = [1]
        broken.retry.maximumAttempts = 3
        let main = try RunningRelay(broken)
        let retry = try RunningRelay(broken, role: .retry)
        let expected = deliverable(orders)
        let dead = try fixture.readAll("orders.conversion-dlq", expected: expected.count, seconds: 60)
        try await main.stop()
        try await retry.stop()
        #expect(dead.count == expected.count)
        for record in dead {
            let envelope = try #require(RetryEnvelope(headers: record.headers))
            #expect(envelope.attempt == 3)
            #expect(envelope.destination == "meta")
            #expect(envelope.errorClass == "configuration")
            #expect(envelope.history?.split(separator: ";").count == 2)
            #expect(positions.values.contains(envelope.origin), "the origin stays the orders record")
        }
        #expect(fixture.sandbox.receipts("meta").isEmpty)
        #expect(fixture.sandbox.receipts("tiktok").count == expected.count)

        var fixed = broken
        fixed.destinations.meta?.pixelID = fixture.sandbox.accounts.metaPixelID
        let again = try RunningRelay(fixed, role: .retry)
        let replayer = DeadLetterReplayer(configuration: fixed, logger: testLogger)
        let replayed = try replayer.replay(.init(destination: "meta", reason: "configuration"))
        #expect(replayed == .init(scanned: expected.count, replayed: expected.count))
        let delivered = await eventually(seconds: 60) { Set(fixture.sandbox.receipts("meta").map(\.eventID)) == expected }
        try await again.stop()
        #expect(delivered)
        #expect(fixture.sandbox.receipts("tiktok").count == expected.count, "replay never re-sends to other destinations")
    }
}
