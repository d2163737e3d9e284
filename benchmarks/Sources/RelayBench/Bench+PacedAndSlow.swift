import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import RelayKafka

/// The latency and memory phases: a paced stream, and a backlog with one slowed destination.
extension Bench {
    /// Produces at `rate` orders/s for `seconds` while one relay consumes, and records each
    /// order's time from produce to its last platform's acknowledgement.
    func runPaced(rate: Double, seconds: Int) async throws -> LatencyResult {
        let count = max(Int(rate * Double(seconds)), 1)
        let topic = "orders-paced"
        // One partition per mock broker. The mock finds a Fetch's offset by walking the
        // partition's message sets from the oldest (`rd_kafka_mock_msgset_find`: "FIXME: Maintain
        // an index"), and a paced producer (linger 5 ms) writes a small set per partition every
        // 5 ms: with 8 partitions that walk was a quarter of the harness's CPU, on the cores the
        // relay runs on. A real broker indexes its log.
        let partitions = 3
        try cluster?.createTopic(topic, partitions: partitions)
        try cluster?.createTopic(topic + ".conversion-retry", partitions: 1)
        try cluster?.createTopic(topic + ".conversion-dlq", partitions: 1)
        let samples = (0..<count).map { generator.sample($0) }
        let expected = samples.map { $0.isValid && $0.marketingConsent }
        let tracker = DeliveryTracker(orderCount: count, expected: expected)
        tracker.measureLatency()
        trackerSlot.current.withLock { $0 = tracker }
        let metricsPort = try Self.freePort()
        let relays = try launch(count: 1, config: try writeConfig(topic: topic, group: "paced", metricsPort: metricsPort), label: "paced")
        defer { for relay in relays { relay.stop() } }
        let producer = try KafkaProducer(
            properties: ["bootstrap.servers": bootstrapServers, "linger.ms": "5", "compression.codec": options.compression], logger: logger)
        defer { producer.close() }
        // Warm-up: order 0 goes first, unmeasured; the clock starts once every platform has it
        // (the group join and the first token fetch are behind us).
        producer.send(topic: topic, partition: 0, key: Array(samples[0].orderID.utf8), value: samples[0].bytes) { _ in }
        let warm = Date().addingTimeInterval(60)
        while tracker.deliveredPairs < DeliveryTracker.platforms.count, Date() < warm { try await Task.sleep(for: .milliseconds(20)) }
        let interval = 1_000_000.0 / rate
        let cpuAtStart = (relay: relays[0].cpuSeconds, harness: ChildProcess.harnessCPUSeconds)
        let start = DeliveryTracker.nowMicros()
        for (index, sample) in samples.enumerated() where index > 0 {
            let due = start + Int64(Double(index) * interval)
            let now = DeliveryTracker.nowMicros()
            if due > now + 1000 { try await Task.sleep(for: .microseconds(due - now)) }
            tracker.produced(index, atMicros: DeliveryTracker.nowMicros())
            producer.send(topic: topic, partition: Int32(index % partitions), key: Array(sample.orderID.utf8), value: sample.bytes) { _ in }
        }
        producer.flush(timeoutMilliseconds: 60_000)
        let deadline = Date().addingTimeInterval(60)
        while !tracker.isComplete, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let requests = RelayRequestStatistics.scrape(port: metricsPort)
        let perOrder = 1_000_000 / Double(max(count - 1, 1))
        let relayMicros = (relays[0].cpuSeconds - cpuAtStart.relay) * perOrder
        let harnessMicros = (ChildProcess.harnessCPUSeconds - cpuAtStart.harness) * perOrder
        return tracker.state.withLock { state in
            LatencyResult(
                rate: rate, p50: Double(state.latency.valueAtPercentile(50)) / 1000,
                p99: Double(state.latency.valueAtPercentile(99)) / 1000,
                p999: Double(state.latency.valueAtPercentile(99.9)) / 1000, lost: tracker.expectedPairs - state.distinct.reduce(0, +),
                platformP99: Dictionary(uniqueKeysWithValues: zip(DeliveryTracker.platforms, state.platformLatency.map {
                    Double($0.valueAtPercentile(99)) / 1000
                })), relayMicrosPerOrder: relayMicros, harnessMicrosPerOrder: harnessMicros, requests: requests)
        }
    }

    /// One relay on the backlog with Pinterest answering slowly enough to take a tenth of
    /// `intakeRate`; samples resident memory, which must stay flat (backpressure).
    func runSlowDestination(intakeRate: Double, seconds: Int, backlog: Backlog) async throws -> SlowResult {
        let tracker = DeliveryTracker(orderCount: backlog.expected.count, expected: backlog.expected)
        trackerSlot.current.withLock { $0 = tracker }
        // Pinterest: batches of up to 1,000 events, 4 concurrent requests (the defaults).
        let slowRate = max(intakeRate / 10, 100)
        let latency = Int(4 * 1000 / slowRate * 1000)
        sandbox.setLatency(latency, for: "pinterest")
        defer { sandbox.setLatency(options.latencyMs, for: "pinterest") }
        let relays = try launch(count: 1, config: try writeConfig(topic: backlog.topic, group: "slow"), label: "slow")
        let relay = relays[0]
        var samples: [Double] = []
        let started = Date()
        while Date().timeIntervalSince(started) < Double(seconds), relay.process.isRunning {
            samples.append(relay.residentMegabytes.current)
            try await Task.sleep(for: .milliseconds(250))
        }
        let peak = relay.residentMegabytes.peak
        if ProcessInfo.processInfo.environment["RELAY_BENCH_RSS_SERIES"] != nil {
            print("slow-destination RSS every 250 ms (MB): " + samples.map { String(format: "%.1f", $0) }.joined(separator: " "))
        }
        relay.stop()
        let log = (try? String(contentsOf: relay.log, encoding: .utf8)) ?? ""
        let pauses = Self.occurrences(of: Self.pauseMessage, in: [log])
        let steady = Array(samples[(samples.count / 4)...])
        let sorted = steady.sorted()
        func mean(_ values: ArraySlice<Double>) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        return SlowResult(
            steadyMinimumMegabytes: sorted.first ?? 0, steadyMedianMegabytes: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
            steadyMaximumMegabytes: sorted.last ?? 0,
            driftMegabytes: mean(steady[(steady.count / 2)...]) - mean(steady[..<(steady.count / 2)]), peakMegabytes: peak,
            pauses: pauses)
    }
}
