import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
import Testing

/// Epoch milliseconds of a JSON log line's `timestamp` (`…T12:00:00.123Z`).
func logMilliseconds(_ stamp: String) -> Int64? {
    guard let seconds = RFC3339.parse(stamp)?.epochSeconds, let dot = stamp.lastIndex(of: "."),
        let millis = Int64(stamp[stamp.index(after: dot)...].dropLast())
    else { return nil }
    return seconds * 1000 + millis
}

/// Scenarios 7 and 12 of style-and-reliability.md (b): destinations that cannot keep up, or
/// cannot be reached at all, while the backlog waits in Kafka. What they prove of the real
/// boundaries: a paused member stays in the mock cluster's group past its session timeout, and a
/// child relay's resident memory stays under its budget. The engine's rules alone (the hand-off
/// of a destination down too long, partial batches sent on a hold, a daily quota) are proven on
/// in-memory boundaries in RelayEngineTests, in milliseconds.
@Suite(.serialized, .timeLimit(.minutes(5))) struct LoadScenarioTests {
    static let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]

    /// All five destinations on the sandbox, every one answering 503 until the faults are cleared,
    /// and the relay retrying for as long as the hand-off time allows.
    func everyDestinationDown(_ fixture: Fixture, http: CurlHTTPClient, group: String) throws -> RelayConfiguration {
        var configuration = fixture.configuration(group: group)
        configuration.destinations = try .sandbox(fixture.sandbox, http: http, lingerMilliseconds: 50)
        configuration.delivery.maximumAttempts = 1_000
        for platform in Self.platforms {
            fixture.sandbox.inject(InjectedFault(.serverError(status: 503), count: 1_000_000), into: platform)
        }
        return configuration
    }

    /// Scenario 7 (real-time variant, shortened): all five destinations answer 503 for a while.
    /// Consumption pauses at the high watermark while the poll loop keeps the member in the group
    /// (no rebalance), nothing is committed past unsettled events, readiness reports every
    /// destination failing; when the outage ends every pair is delivered directly, none through
    /// the retry topic.
    @Test func everyDestinationDownPausesConsumptionAndLosesNothing() async throws {
        let fixture = try await Fixture.make(brokers: 3, partitions: 4)
        // Enough to fill every lane past the high watermark (100) with some left in Kafka.
        let orders = samples(400, seed: 43)
        let expected = deliverable(orders)
        _ = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = try everyDestinationDown(fixture, http: http, group: "all-down")
        configuration.delivery.highWatermarkEvents = 100
        configuration.delivery.lowWatermarkEvents = 50
        let relay = try RunningRelay(configuration)
        let inspector = try fixture.inspector(group: "all-down")
        let paused = await eventually(seconds: 60) {
            relay.engine.statistics.backpressurePauses >= 1 && relay.engine.health.failingDestinations.count == 5
        }
        #expect(paused, "every lane over the watermark pauses consumption; readiness names all five")
        let consumedWhilePaused = relay.engine.statistics.consumed
        let outageStarted = Date()
        // Not a wait for a condition but the window the test observes: the outage outlasts the
        // session timeout, and the member must still be in the group at its end.
        try await Task.sleep(for: .milliseconds(mockSessionTimeoutMilliseconds + 1_000))
        let statistics = relay.engine.statistics
        #expect(statistics.consumed == consumedWhilePaused, "nothing more is consumed while paused")
        #expect(statistics.consumed < orders.count)
        #expect(statistics.rebalances == ["assigned": 1], "the poll loop keeps the member in the group")
        let committedDuringOutage = try inspector.committedAndEnd(topic: "orders").committed
        #expect(committedDuringOutage == 0, "nothing settled, nothing committed")

        for platform in Self.platforms { fixture.sandbox.clearFaults(platform) }
        let outageEnded = Date()
        let settled = try await eventually(seconds: 120) { try inspector.committedAndEnd(topic: "orders").committed == 400 }
        let recovered = Date().timeIntervalSince(outageEnded)
        let final = relay.engine.statistics
        try await relay.stop()
        #expect(settled)
        let ledger = checkLedger(fixture, platforms: Self.platforms, expected: expected)
        #expect(final.handedToRetryTopic.isEmpty, "the outage ended before the hand-off time")
        #expect(final.rebalances == ["assigned": 1])
        reportScenario(
            "7-every-destination-down",
            [
                "events_in": orders.count, "delivered": ledger.delivered, "repeats": ledger.totalRepeats,
                "retry_topic": 0, "dlq": 0, "outage_s": (outageEnded.timeIntervalSince(outageStarted) * 10).rounded() / 10,
                "consumed_while_paused": consumedWhilePaused, "time_to_recover_s": (recovered * 10).rounded() / 10,
            ])
    }

    /// Scenario 12 (scaled down): a 24,000-order backlog (~26 MB; the 2.0.2 mock keeps at most
    /// 5 MB per partition, hence 8 partitions), one destination at a fraction of the intake rate,
    /// the relay as a child process with a 112 MiB memory budget (its idle debug build is ~47 MiB).
    /// Resident memory, sampled every 50 ms, stays under the budget; consumption is held at the
    /// watermarks, and a hold that became a partition pause lasts the minimum pause; the member is
    /// assigned once (no rebalance, no poll-interval overrun); every event is delivered.
    @Test func backlogBurstWithASlowDestinationStaysUnderTheMemoryBudget() async throws {
        let fixture = try await Fixture.make(brokers: 3, partitions: 8)
        let orders = samples(24_000, seed: 45)
        let expected = deliverable(orders)
        _ = try await fixture.publish(orders)
        fixture.sandbox.setLatency(50, for: "meta")
        let budget = 112.0
        let config = try writeConfig(
            fixture, group: "backlog",
            delivery: "  memory_budget_mb: \(Int(budget))\n  min_pause_ms: 200\n  high_watermark_events: 1000000\n  low_watermark_events: 500000\n  read_ahead_events: 1000000")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("relay-backlog-\(UUID().uuidString).log")
        let started = Date()
        let process = try RelayExecutable.start(
            ["run", "--config", config.path], environment: ["RELAY_TEST_META_TOKEN": fixture.sandbox.accounts.metaAccessToken], log: log)
        let pid = process.processIdentifier
        let inspector = try fixture.inspector(group: "backlog")
        var samples: [Double] = []
        var settled = false
        while Date().timeIntervalSince(started) < 180 {
            if let memory = residentMemoryMegabytes(pid: pid) { samples.append(memory.current) }
            if samples.count % 20 == 0, try inspector.committedAndEnd(topic: "orders").committed == 24_000 {
                settled = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = Date().timeIntervalSince(started)
        let peak = residentMemoryMegabytes(pid: pid)?.peak ?? 0
        kill(pid, SIGTERM)
        process.waitUntilExit()
        #expect(settled)
        #expect(process.terminationStatus == 0)
        #expect(samples.count > 100)
        #expect(peak < budget, "peak resident memory \(peak) MiB over the \(budget) MiB budget")

        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let assigned = lines.filter { $0.contains("partitions assigned") && $0.contains("[orders[") }
        #expect(assigned.count == 1, "one assignment: no rebalance during the burst")
        #expect(!lines.contains { $0.contains("MAX_POLL") || $0.contains("max.poll.interval") })
        // A hold stops consumption (the partitions are paused only when it lasts a second).
        func milliseconds(_ line: Substring) throws -> Int64 {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            return try #require(object["timestamp"].flatMap(logMilliseconds))
        }
        let pauses = try lines.filter { $0.contains("backpressure: holding consumption") }.map(milliseconds)
        #expect(pauses.count >= 1, "a backlog larger than the budget must hold consumption")
        let partitionPauses = try lines.filter { $0.contains("backpressure: pausing partitions") }.map(milliseconds)
        let resumes = try lines.filter { $0.contains("resuming partitions") && $0.contains("[orders[") }.map(milliseconds)
        #expect(resumes.count >= partitionPauses.count - 1)
        // A partition pause drops librdkafka's prefetch: each lasts the minimum pause (200 ms here;
        // the two log lines are stamped a moment after the decisions, hence 5 ms of slack).
        let pauseLengths = partitionPauses.compactMap { paused in resumes.first { $0 >= paused }.map { $0 - paused } }
        #expect(pauseLengths.allSatisfy { $0 >= 195 }, "partition pauses shorter than the minimum: \(pauseLengths.filter { $0 < 195 })")

        let ledger = checkLedger(fixture, expected: expected)
        reportScenario(
            "12-backlog-burst",
            [
                "events_in": orders.count, "delivered": ledger.delivered, "repeats": ledger.totalRepeats,
                "retry_topic": 0, "dlq": 0, "peak_rss_mb": (peak * 10).rounded() / 10, "budget_mb": budget,
                "pause_cycles": pauses.count, "partition_pauses": partitionPauses, "time_to_drain_s": (elapsed * 10).rounded() / 10,
                "orders_per_s": Int(Double(orders.count) / elapsed),
            ])
    }
}
