import Foundation
import Logging
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
import Synchronization
import Testing

/// Failure scenarios of style-and-reliability.md (b), on librdkafka's mock cluster with error
/// injection. Each checks the ledger (every expected event present, repeats byte-identical) and
/// that committed offsets never pass an unsettled event.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ScenarioTests {
    func expectLedger(_ fixture: Fixture, _ orders: [SampleOrderGenerator.Sample], sourceLocation: SourceLocation = #_sourceLocation) {
        let receipts = fixture.sandbox.receipts("meta")
        expectSameEventIDs(Set(receipts.map(\.eventID)), deliverable(orders), "meta", sourceLocation: sourceLocation)
        for (_, copies) in Dictionary(grouping: receipts, by: \.eventID) where copies.count > 1 {
            #expect(Set(copies.map(\.payloadSHA256)).count == 1, "repeats must be byte-identical", sourceLocation: sourceLocation)
        }
    }

    /// Scenario 6: OffsetCommit fails with REBALANCE_IN_PROGRESS ×6 and REQUEST_TIMED_OUT ×2, and
    /// the coordinator answers slowly. Failed commits are counted, the next commit covers them,
    /// nothing is stuck or lost.
    @Test func offsetCommitErrorsAreCoveredByTheNextCommit() async throws {
        let fixture = try await Fixture.make(brokers: 3, partitions: 2)
        let orders = samples(200, seed: 31)
        _ = try await fixture.publish(orders)
        fixture.cluster.setGroupCoordinator(groupID: "commit-errors", broker: 1)
        fixture.cluster.pushRequestErrors(
            .offsetCommit,
            errors: Array(repeating: KafkaError.RDKafkaCode.rebalanceInProgress, count: 6)
                + Array(repeating: KafkaError.RDKafkaCode.requestTimedOut, count: 2))
        fixture.cluster.setRoundTripTime(1, milliseconds: 300)
        let relay = try RunningRelay(fixture.configuration(group: "commit-errors"))
        let inspector = try fixture.inspector(group: "commit-errors")
        let settled = try await eventually(seconds: 90) { try inspector.committedAndEnd(topic: "orders").committed == 200 }
        let text = relay.engine.telemetry.prometheusText()
        try await relay.stop()
        #expect(settled)
        expectLedger(fixture, orders)
        #expect(metric(parsePrometheus(text), "conversion_relay_offset_commit_failures_total") >= 1)
    }

    /// Scenario 5: every broker down for a while mid-run, then back. No crash, no loss; the
    /// relay resumes and commits to the end (repeats only from the uncommitted range).
    @Test func allBrokersDownThenBack() async throws {
        let fixture = try await Fixture.make(brokers: 3, partitions: 2)
        let orders = samples(400, seed: 32)
        _ = try await fixture.publish(orders)
        fixture.sandbox.setLatency(30, for: "meta")
        var configuration = fixture.configuration(group: "brokers-down")
        configuration.destinations.meta?.batchPolicy.maximumEvents = 20
        let relay = try RunningRelay(configuration)
        let started = await eventually(seconds: 60) { !fixture.sandbox.receipts("meta").isEmpty }
        #expect(started)
        fixture.cluster.setBrokerDown(nil)
        // The outage itself, not a wait for a condition: shorter than the session timeout, as a
        // broker restart is, so the member stays in the group.
        try await Task.sleep(for: .milliseconds(mockSessionTimeoutMilliseconds * 2 / 3))
        fixture.cluster.setBrokerUp(nil)
        let inspector = try fixture.inspector(group: "brokers-down")
        let settled = try await eventually(seconds: 120) { try inspector.committedAndEnd(topic: "orders").committed == 400 }
        try await relay.stop()
        #expect(settled)
        expectLedger(fixture, orders)
    }

    /// Scenario 10: the retry topic has no leader, so poison records cannot be written. The source
    /// offset must not pass them; once the leader is back the write succeeds and the frontier moves.
    @Test func retryTopicWriteFailureHoldsTheOffsetUntilTheWriteSucceeds() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        let orders = samples(30, malformedEvery: 10, seed: 33)
        let positions = try await fixture.publish(orders)
        let poisonOffsets = orders.filter { !$0.isValid }.compactMap { positions[$0.orderID]?.offset }
        let firstPoison = try #require(poisonOffsets.min())
        fixture.cluster.setPartitionLeader(topic: "orders.conversion-retry", partition: 0, broker: nil)
        var configuration = fixture.configuration(group: "retry-write")
        configuration.kafka.producerProperties = ["message.timeout.ms": "2000"]
        configuration.retry.inProcess = false
        // The relay in process with a logger the test reads: it waits for the producer's failure.
        let log = CapturedLogs()
        let logger = log.logger(level: .warning)
        let http = CurlHTTPClient()
        let engine = try RelayEngine(configuration: configuration, http: http, logger: logger)
        let run = Task { try await engine.run() }
        let inspector = try fixture.inspector(group: "retry-write")
        // Valid events are delivered, but the commit stays at (or before) the first poison record,
        // also once librdkafka failed a write (message.timeout.ms = 2 s) and the relay retries it.
        let delivered = await eventually(seconds: 60) { Set(fixture.sandbox.receipts("meta").map(\.eventID)) == deliverable(orders) }
        #expect(delivered)
        let failed = await eventually(seconds: 30) { log.contains("write to orders.conversion-retry failed, retrying") }
        #expect(failed, "the leaderless retry topic failed no write")
        let held = try inspector.committedAndEnd(topic: "orders").committed
        #expect(held <= firstPoison, "committed \(held) passed the unwritten poison record at \(firstPoison)")
        fixture.cluster.setPartitionLeader(topic: "orders.conversion-retry", partition: 0, broker: 1)
        let settled = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 30 }
        engine.shutdown()
        try await run.value
        http.shutdown()
        #expect(settled)
        let retry = try fixture.readAll("orders.conversion-retry", expected: 3)
        #expect(Set(retry.compactMap { RetryEnvelope(headers: $0.headers)?.origin.offset }).count == 3)
        expectLedger(fixture, orders)
    }
}

/// The bad-input corpus through the whole relay: every bad record reaches the retry topic with a
/// clear reason (an oversized one as a pointer: headers and origin, no value), events with hostile
/// identifiers are delivered without them, the partition reaches its end, nothing crashes.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BadInputCorpusRelayTests {
    @Test func theCorpusNeverStallsTheRelay() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
        func load(_ folder: String) throws -> [[UInt8]] {
            try FileManager.default.contentsOfDirectory(at: fixtures.appendingPathComponent(folder), includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }.map { try [UInt8](Data(contentsOf: $0)) }
        }
        let bad = try load("bad-inputs")
        let hostile = try load("hostile-identifiers").map { bytes in
            // Fresh timestamps so Meta's 7-day window accepts them.
            Array(String(decoding: bytes, as: UTF8.self).replacing(
                "2026-11-26T10:15:30Z", with: RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - 60)).utf8)
        }
        // 2 MiB: above the decoder's 1 MiB and the producer's 1 MB limits. (The 10 MB case is a
        // unit test: librdkafka's mock broker does not serve a 10 MB fetch.)
        var huge = Array(#"{"schema_version":1,"event_type":"order.completed","order_id":"O-HUGE","note":""#.utf8)
        huge += Array(repeating: UInt8(ascii: "a"), count: 2 << 20)
        huge += Array(#""}"#.utf8)
        let records = bad + hostile + [huge]
        let producer = try KafkaProducer(
            properties: ["bootstrap.servers": fixture.cluster.bootstrapServers, "message.max.bytes": "16000000"], logger: testLogger)
        for (index, record) in records.enumerated() {
            _ = try await producer.send(topic: "orders", partition: Int32(index % 2), key: nil, value: record)
        }
        producer.close()

        let relay = try RunningRelay(fixture.configuration(group: "corpus"))
        let inspector = try fixture.inspector(group: "corpus")
        let settled = try await eventually(seconds: 90) {
            try inspector.committedAndEnd(topic: "orders").committed == Int64(records.count)
        }
        try await relay.stop()
        #expect(settled, "the relay must pass every bad record")
        let retry = try fixture.readAll("orders.conversion-retry", expected: bad.count + 1, seconds: 60)
        #expect(retry.count == bad.count + 1)
        let envelopes = retry.compactMap { RetryEnvelope(headers: $0.headers) }
        #expect(envelopes.count == retry.count)
        #expect(envelopes.allSatisfy { !$0.reason.isEmpty && ["malformed_json", "schema_violation"].contains($0.errorClass) })
        let pointer = try #require(retry.first { $0.value.isEmpty && RetryEnvelope(headers: $0.headers)?.valueOmittedBytes != nil })
        #expect(RetryEnvelope(headers: pointer.headers)?.valueOmittedBytes == huge.count)
        #expect(Set(fixture.sandbox.receipts("meta").map(\.eventID)).count == hostile.count)
        #expect(relay.engine.statistics.poison == bad.count + 1)
    }
}
