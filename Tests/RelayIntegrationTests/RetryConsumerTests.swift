import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
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
        configuration.retry.delaysSeconds = [2]
        return configuration
    }

    @Test func failedDestinationIsRetriedFromTheRetryTopicAfterItsDelayAndOnlyThere() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(40, seed: 21)
        _ = try await fixture.publish(orders)
        // Meta is down for the main consumer's attempts (2 per batch, at most 2 batches).
        fixture.sandbox.inject(InjectedFault(.serverError(status: 503), count: 4), into: "meta")
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        let configuration = try configuration(fixture, http: http, group: "retry-ok")
        let main = try RunningRelay(configuration)
        let retry = try RunningRelay(configuration, role: .retry)
        let expected = deliverable(orders)
        let inspector = try fixture.inspector(group: "retry-ok")
        let delivered = try await eventually(seconds: 90) {
            let committed = try inspector.committedAndEnd(topic: "orders").committed
            return Set(fixture.sandbox.receipts("meta").map(\.eventID)) == expected && committed == 40
        }
        try await main.stop()
        try await retry.stop()
        #expect(delivered)
        expectSameEventIDs(Set(fixture.sandbox.receipts("meta").map(\.eventID)), expected, "meta")
        // TikTok acknowledged the first time: the retry never goes back to it.
        let tiktok = fixture.sandbox.receipts("tiktok")
        #expect(tiktok.count == expected.count)
        expectSameEventIDs(Set(tiktok.map(\.eventID)), expected, "tiktok")

        let retried = try fixture.readAll("orders.conversion-retry", expected: 1)
        let envelopes = retried.compactMap { RetryEnvelope(headers: $0.headers) }
        #expect(!envelopes.isEmpty)
        #expect(envelopes.allSatisfy { $0.destination == "meta" && $0.notBeforeMilliseconds != nil })
        // Nothing was re-sent before it was due.
        let firstDue = try #require(envelopes.compactMap(\.notBeforeMilliseconds).min())
        let retriedIDs = Set(try retried.map { record in
            guard case .object(let json) = try JSONParser().parse(record.value), case .string(let id)? = json["order_id"] else { return "" }
            return id
        })
        let late = fixture.sandbox.receipts("meta").filter { retriedIDs.contains($0.eventID) }
        #expect(!late.isEmpty)
        #expect(late.allSatisfy { $0.receivedAtMilliseconds >= firstDue })
        #expect((retry.engine.statistics.delivered["meta"] ?? 0) >= retriedIDs.count)
    }

    @Test func exhaustedRecordsAreDeadLetteredWithTheirHistory() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        let orders = samples(6, seed: 22)
        let positions = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = try configuration(fixture, http: http, group: "retry-exhausted")
        configuration.destinations.meta?.pixelID = "999"  // a pixel that does not exist: refused every time
        configuration.retry.delaysSeconds = [1]
        configuration.retry.maximumAttempts = 3
        let main = try RunningRelay(configuration)
        let retry = try RunningRelay(configuration, role: .retry)
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
    }

    /// Scenario 11, the crash: a standalone `conversion-relay retry` process is killed with
    /// SIGKILL while it re-sends parked events; a second one finishes. Every parked event reaches
    /// the destination, repeats are byte-identical, the retry group commits to the end of the
    /// retry topic, and the second process exits 0 on SIGTERM.
    @Test func killedRetryConsumerRedeliversOnlyByteIdenticalCopies() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(400, seed: 24)
        let expected = deliverable(orders)
        _ = try await fixture.publish(orders)
        // Phase 1: Meta is down past the hand-off time, so every event is parked in the retry topic.
        fixture.sandbox.inject(InjectedFault(.serverError(status: 503), count: 1_000_000), into: "meta")
        var configuration = fixture.configuration(group: "retry-crash")
        configuration.delivery.maximumAttempts = 1_000
        configuration.delivery.handoffAfterMilliseconds = 1_000
        configuration.retry.inProcess = false
        configuration.retry.delaysSeconds = [1]
        let main = try RunningRelay(configuration)
        let inspector = try fixture.inspector(group: "retry-crash")
        let parked = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 400 }
        try await main.stop()
        #expect(parked)
        #expect(fixture.sandbox.receipts("meta").isEmpty)
        #expect(main.engine.statistics.handedToRetryTopic["meta"] == expected.count)

        // Phase 2: Meta is back but slow; the retry consumer is killed mid-delivery.
        fixture.sandbox.clearFaults("meta")
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

    /// One destination down for longer than the hand-off time, the other up: the commit frontier
    /// still reaches the end (the failing pairs wait in the retry topic for that destination
    /// only), and the healthy destination receives each event exactly once.
    @Test func aDestinationThatKeepsFailingDoesNotHoldThePartition() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(30, seed: 23)
        _ = try await fixture.publish(orders)
        fixture.sandbox.inject(InjectedFault(.serverError(status: 503), count: 100_000), into: "meta")
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = try configuration(fixture, http: http, group: "handoff")
        configuration.delivery.maximumAttempts = 100
        configuration.delivery.handoffAfterMilliseconds = 1_500
        let main = try RunningRelay(configuration)
        let inspector = try fixture.inspector(group: "handoff")
        let committed = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 30 }
        try await main.stop()
        #expect(committed, "the frontier must advance although Meta is still down")
        let expected = deliverable(orders)
        #expect(fixture.sandbox.receipts("meta").isEmpty)
        let tiktok = fixture.sandbox.receipts("tiktok")
        #expect(tiktok.count == expected.count)
        expectSameEventIDs(Set(tiktok.map(\.eventID)), expected, "tiktok")
        let parked = try fixture.readAll("orders.conversion-retry", expected: expected.count)
        #expect(parked.count == expected.count)
        #expect(parked.allSatisfy { RetryEnvelope(headers: $0.headers)?.destination == "meta" })
        #expect((main.engine.statistics.retries["meta"] ?? 0) >= 2)
    }

    /// After a fix (here: the right pixel id), `replay` sends dead-letter records back through the
    /// retry topic and the retry consumer delivers them; filters select what is replayed.
    @Test func replayAfterAFixDeliversDeadLetters() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        let orders = samples(6, seed: 24)
        _ = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var broken = try configuration(fixture, http: http, group: "replay")
        broken.destinations.meta?.pixelID = "999"
        broken.retry.delaysSeconds = [1]
        broken.retry.maximumAttempts = 2
        let main = try RunningRelay(broken)
        let retry = try RunningRelay(broken, role: .retry)
        let expected = deliverable(orders)
        let dead = try fixture.readAll("orders.conversion-dlq", expected: expected.count, seconds: 60)
        try await main.stop()
        try await retry.stop()
        #expect(dead.count == expected.count)
        #expect(fixture.sandbox.receipts("meta").isEmpty)

        var fixed = broken
        fixed.destinations.meta?.pixelID = fixture.sandbox.accounts.metaPixelID
        let replayer = DeadLetterReplayer(configuration: fixed, logger: testLogger)
        #expect(try replayer.replay(.init(destination: "tiktok")).replayed == 0)
        #expect(try replayer.replay(.init(destination: "meta", reason: "configuration"), dryRun: true) == .init(scanned: expected.count, replayed: expected.count))
        #expect(try replayer.replay(.init(destination: "meta")).replayed == expected.count)
        let again = try RunningRelay(fixed, role: .retry)
        let delivered = await eventually(seconds: 60) { Set(fixture.sandbox.receipts("meta").map(\.eventID)) == expected }
        try await again.stop()
        #expect(delivered)
        #expect(fixture.sandbox.receipts("tiktok").count == expected.count, "replay never re-sends to other destinations")
    }
}
