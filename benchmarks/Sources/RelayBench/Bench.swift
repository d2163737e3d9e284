import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import RelayCore
import RelayDemo
import RelayKafka
import RelaySandbox
import RelayService
import Synchronization

/// The phases of the harness, sharing one cluster, one sandbox and one order generator.
final class Bench {
    struct Backlog {
        var topic: String
        var partitions: Int
        var megabytes: Double
        var seconds: Double
        var expected: [Bool]
    }

    struct RunResult {
        var instances: Int
        var ordersPerSecond: Double
        /// From the first to the last acknowledgement (excludes process start and the group join).
        var ackWindowSeconds: Double
        var wallSeconds: Double
        var cpuSecondsPerMillion: Double
        /// The harness's CPU over the same run (brokers, sandbox, tracker), per million orders.
        var harnessCPUSecondsPerMillion: Double
        var peakMegabytes: Double
        var lost: Int
        var duplicates: Int
        /// Times the relays held consumption for backpressure, and paused partitions in
        /// librdkafka (which drops their prefetched records), from their logs: how often the run
        /// stopped taking records, which sets the pace as much as CPU does.
        var backpressureHolds: Int
        var partitionPauses: Int
        /// One instance only: how long its poll loop waited on a full read-ahead window, from its
        /// `/metrics` (`conversion_relay_read_ahead_window_full_seconds_total`; `nil` for builds
        /// without it, and with several instances).
        var readAheadWindowFullSeconds: Double? = nil

        func line(ceiling: Double) -> String {
            String(
                format: "%d instance(s): %.0f orders/s (%.1f%% of the ceiling), %.2f s first-to-last ack, %.2f s from start, CPU %.1f s per million orders (%.1f µs/order; harness %.1f µs/order), peak RSS %.1f MB per instance, %d backpressure holds, %d partition pauses, %@, lost %d, duplicates %d",
                instances, ordersPerSecond, ordersPerSecond / ceiling * 100, ackWindowSeconds, wallSeconds, cpuSecondsPerMillion,
                cpuSecondsPerMillion, harnessCPUSecondsPerMillion, peakMegabytes, backpressureHolds, partitionPauses,
                readAheadWindowFullSeconds.map { String(format: "read-ahead window full %.2f s", $0) } ?? "read-ahead window not measured",
                lost, duplicates)
        }
    }

    struct LatencyResult {
        var rate: Double
        var p50: Double
        var p99: Double
        var p999: Double
        var lost: Int
        /// p99 per platform, ms.
        var platformP99: [String: Double]
        /// CPU of the relay and of the harness per paced order, µs.
        var relayMicrosPerOrder: Double
        var harnessMicrosPerOrder: Double
        /// The relay's own view of its requests (from its `/metrics`), per platform.
        var requests: [String: RelayRequestStatistics]
    }

    /// The relay's log messages for a backpressure hold, and for a hold that lasted into pausing
    /// the partitions.
    static let holdMessage = "backpressure: holding consumption"
    static let pauseMessage = "backpressure: pausing partitions"

    /// How many times `message` appears in `logs` (one log line per occurrence).
    static func occurrences(of message: String, in logs: [String]) -> Int {
        logs.reduce(0) { $0 + $1.components(separatedBy: message).count - 1 }
    }

    /// A port nothing listens on now (bound and released), for a relay's `/metrics`.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError("no socket for a free port") }
        defer { Glibc.close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw BenchError("binding a free port failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct SlowResult {
        /// Resident memory from a quarter of the run on (the relay has filled its budget by then).
        var steadyMinimumMegabytes: Double
        var steadyMedianMegabytes: Double
        var steadyMaximumMegabytes: Double
        /// Mean of the last half of those samples minus the mean of the first half: near zero when
        /// memory is flat (it swings between the backpressure watermarks without a trend).
        var driftMegabytes: Double
        var peakMegabytes: Double
        var pauses: Int
    }

    let options: RelayBench
    let logger: Logger
    let cluster: MockKafkaCluster?
    let bootstrapServers: String
    let workDirectory: URL
    let generator: SampleOrderGenerator
    /// The tracker the sandbox currently reports to.
    let trackerSlot = TrackerSlot()
    let sandbox: SandboxServer
    let googleKeyFile: URL

    init(options: RelayBench, logger: Logger) async throws {
        self.options = options
        self.logger = logger
        if let bootstrap = options.bootstrap {
            cluster = nil
            bootstrapServers = bootstrap
        } else {
            let cluster = try MockKafkaCluster(brokers: 3)
            self.cluster = cluster
            bootstrapServers = cluster.bootstrapServers
        }
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        generator = SampleOrderGenerator(
            seed: options.seed, malformedEvery: options.malformedEvery, nowSeconds: Int64(Date().timeIntervalSince1970))
        let slot = trackerSlot
        sandbox = try await SandboxServer(threads: options.sandboxThreads, fingerprintPayloads: false, validateEvery: options.validateEvery) { platform, receipts in
            slot.current.withLock { $0 }?.observe(platform: platform, receipts: receipts)
        }
        googleKeyFile = workDirectory.appendingPathComponent("google-key.json")
        try Data(try sandbox.googleServiceAccountKeyFile()).write(to: googleKeyFile)
        for platform in DeliveryTracker.platforms where options.latencyMs > 0 {
            sandbox.setLatency(options.latencyMs, for: platform)
        }
    }

    func close() {
        // RELAY_BENCH_KEEP_LOGS=1 keeps the relays' logs and configurations for inspection.
        if ProcessInfo.processInfo.environment["RELAY_BENCH_KEEP_LOGS"] == "1" {
            FileHandle.standardError.write(Data("relay logs kept in \(workDirectory.path)\n".utf8))
            return
        }
        try? FileManager.default.removeItem(at: workDirectory)
    }

    // MARK: - Publishing

    /// The harness's producer (`--compression` its codec). Large batches and a long linger, so a
    /// backlog's batches hold `--partition-run` orders each.
    func makeProducer() throws -> KafkaProducer {
        try KafkaProducer(
            properties: [
                "bootstrap.servers": bootstrapServers, "linger.ms": "20", "batch.size": "1000000",
                "queue.buffering.max.messages": "500000", "queue.buffering.max.kbytes": "1048576",
                "compression.codec": options.compression,
            ], logger: logger)
    }

    /// How many bytes of orders one stored byte holds, at least, per `--compression` codec, for
    /// sizing the backlog's partitions: half or less of what the command-line tools make of 500 of
    /// the generator's orders (570,965 bytes: `lz4 -1` 7.6×, `gzip -6` 11.9×, `zstd -3` 13.1×;
    /// snappy, not measured, taken as below lz4), so a partition stays under the mock's limit.
    /// Runs under 100 orders compress worse and are sized as uncompressed. The broker's
    /// watermarks are checked after publishing anyway.
    static let sizingCompressionRatio: [String: Int] = ["none": 1, "gzip": 5, "snappy": 3, "lz4": 4, "zstd": 6]

    /// Publishes `orders` orders to a new topic sized so the mock keeps all of them (it keeps about
    /// 5 MiB per partition), or of `--partitions` partitions when that is at least as many, and
    /// checks that the broker holds every one before anything is timed.
    ///
    /// Orders go to the partitions in runs of `--partition-run` consecutive orders, so each of the
    /// producer's batches holds a run. The mock stores every batch as one message set and serves
    /// one message set per partition per Fetch, found by walking the partition's sets from the
    /// oldest (librdkafka 2.0.2, `rd_kafka_mock_msgset_find`: "FIXME: Maintain an index";
    /// `rd_kafka_mock_handle_Fetch`: "FIXME: Multiple messageSets ?"). Spread one by one over the
    /// ~360 partitions of a 1 M backlog, each batch held ~5 orders and that walk took ~30 % of the
    /// harness's CPU, growing with the backlog (HISTORY.md, harness round 3). A real broker
    /// indexes its log and returns up to `max.partition.fetch.bytes` per partition, so large
    /// batches are the closer likeness.
    func publishBacklog(orders: Int) async throws -> Backlog {
        let topic = "orders-bench-\(orders)"
        let averageBytes = (0..<200).map { generator.sample($0).bytes.count }.reduce(0, +) / 200
        guard let ratio = Self.sizingCompressionRatio[options.compression] else {
            throw BenchError("--compression \(options.compression): expected one of \(Self.sizingCompressionRatio.keys.sorted().joined(separator: ", "))")
        }
        let run = max(1, options.partitionRun)
        let stored = run >= 100 ? orders * averageBytes / ratio : orders * averageBytes
        let sized = max(4, stored / (3 << 20) + 1)
        guard options.partitions == 0 || options.partitions >= sized else {
            throw BenchError("--partitions \(options.partitions) is fewer than the \(sized) the mock needs to keep \(orders) orders")
        }
        let partitions = options.partitions == 0 ? sized : options.partitions
        try cluster?.createTopic(topic, partitions: partitions)
        try cluster?.createTopic(topic + ".conversion-retry", partitions: 1)
        try cluster?.createTopic(topic + ".conversion-dlq", partitions: 1)
        let started = Date()
        let producer = try makeProducer()
        defer { producer.close() }
        var expected = [Bool](repeating: false, count: orders)
        let failures = Atomic<Int>(0)
        var bytes = 0
        for index in 0..<orders {
            let sample = generator.sample(index)
            expected[index] = sample.isValid && sample.marketingConsent
            bytes += sample.bytes.count
            let partition = Int32((index / run) % partitions)
            producer.send(topic: topic, partition: partition, key: Array(sample.orderID.utf8), value: sample.bytes) {
                if case .failure = $0 { failures.add(1, ordering: .relaxed) }
            }
            if index % 100_000 == 99_999 { producer.flush(timeoutMilliseconds: 120_000) }
        }
        producer.flush(timeoutMilliseconds: 120_000)
        guard failures.load(ordering: .relaxed) == 0 else { throw BenchError("\(failures.load(ordering: .relaxed)) orders failed to publish") }
        var held: Int64 = 0
        for partition in 0..<partitions {
            let marks = try producer.watermarks(TopicPartition(topic: topic, partition: Int32(partition)))
            held += marks.high - marks.low
        }
        guard held == Int64(orders) else {
            throw BenchError("the broker holds \(held) of \(orders) orders (mock retention); use more partitions (--partitions)")
        }
        return Backlog(
            topic: topic, partitions: partitions, megabytes: Double(bytes) / 1_048_576,
            seconds: Date().timeIntervalSince(started), expected: expected)
    }

    // MARK: - Ceiling

    /// Reads the whole topic with a bare consumer that copies nothing: the rate the relay cannot beat.
    func measureCeiling(topic: String, orders: Int) throws -> Double {
        let consumer = try KafkaConsumer(
            properties: [
                "bootstrap.servers": bootstrapServers, "group.id": "ceiling-\(UUID().uuidString)",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
            ], logger: logger)
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic], handler: KafkaRebalanceHandler(assigned: { _ in }, revoked: { _, _ in }))
        var read = 0
        var first: Date? = nil
        let deadline = Date().addingTimeInterval(600)
        while read < orders, Date() < deadline {
            if consumer.pollDiscarding(timeoutMilliseconds: 100) {
                if first == nil { first = Date() }
                read += 1
            }
        }
        guard let first, read == orders else { throw BenchError("the bare consumer read \(read) of \(orders)") }
        return Double(orders) / max(Date().timeIntervalSince(first), 0.001)
    }

    // MARK: - Relay runs

    /// With the mock cluster, `fetch.wait.max.ms` is lowered to 10: librdkafka's mock answers a
    /// Fetch that finds no data only after the full MaxWait, even when data arrives meanwhile
    /// (`rdkafka_mock_handlers.c`, Fetch: "This isn't strictly correct since we should cut the
    /// wait short and feed newly produced data…"), which a real broker does not do; with the
    /// relay's default of 100 ms the paced latency would measure the mock, not the relay.
    /// `instances`: relays that will share this configuration. Google's quota
    /// (`--google-requests-per-minute`, 300 as documented) is per Cloud project, and the sandbox
    /// does not enforce it, so each relay gets its share, as docs/operations.md tells operators to
    /// do: otherwise two relays would send Google twice what it accepts and the figures would
    /// count it. The daily quota (100,000 requests, a quarter of them at once) does not bind a
    /// run of minutes, and builds before it would refuse `requests_per_day`: left out.
    /// `googleRequestsPerMinute`: Google's quota shared by `instances` (default `--google-requests-per-minute`).
    func writeConfig(
        topic: String, group: String, instances: Int = 1, latencyDestination: String? = nil, metricsPort: Int? = nil,
        googleRequestsPerMinute: Int? = nil
    ) throws -> URL {
        let accounts = sandbox.accounts
        let base = sandbox.baseURL
        let mock = cluster != nil
        // The harness's properties for the mock (below), then `--consumer-property` ones.
        var properties: [(key: String, value: String)] =
            mock ? [("session.timeout.ms", "6000"), ("heartbeat.interval.ms", "500"), ("fetch.wait.max.ms", "10")] : []
        for property in options.consumerProperties {
            guard let equals = property.firstIndex(of: "="), equals != property.startIndex else {
                throw BenchError("--consumer-property \(property): expected KEY=VALUE")
            }
            let key = String(property[..<equals]), value = String(property[property.index(after: equals)...])
            properties.removeAll { $0.key == key }
            properties.append((key, value))
        }
        let consumerProperties = properties.isEmpty ? "" :
            "  consumer_properties:\n" + properties.map { "    \($0.key): \"\($0.value)\"" }.joined(separator: "\n")
        let yaml = """
            kafka:
              bootstrap_servers: "\(bootstrapServers)"
              group_id: \(group)
              topic: \(topic)
            \(consumerProperties)
            delivery:
              memory_budget_mb: \(options.memoryBudgetMb)\(options.maxConcurrentRequests.map { "\n  max_concurrent_requests: \($0)" } ?? "")
            destinations:
              meta:
                pixel_id: "\(accounts.metaPixelID)"
                access_token: ${BENCH_META_TOKEN}
                endpoint: \(base)
              google:
                operating_account_id: "\(accounts.googleOperatingAccountID)"
                conversion_action_id: "\(accounts.googleConversionActionID)"
                service_account_key_file: \(googleKeyFile.path)
                endpoint: \(base)
                requests_per_minute: \(max(1, (googleRequestsPerMinute ?? options.googleRequestsPerMinute) / instances))
              tiktok:
                pixel_code: \(accounts.tiktokPixelCode)
                access_token: ${BENCH_TIKTOK_TOKEN}
                endpoint: \(base)
              pinterest:
                ad_account_id: "\(accounts.pinterestAdAccountID)"
                access_token: ${BENCH_PINTEREST_TOKEN}
                endpoint: \(base)
              snapchat:
                pixel_id: \(accounts.snapchatPixelID)
                access_token: ${BENCH_SNAPCHAT_TOKEN}
                endpoint: \(base)
            observability:
            \(metricsPort.map { "  host: 127.0.0.1\n  port: \($0)" } ?? "  enabled: false")
            logging:
              level: info
              format: json
            """
        let url = workDirectory.appendingPathComponent("\(group).yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    var relayEnvironment: [String: String] {
        let accounts = sandbox.accounts
        return ProcessInfo.processInfo.environment.merging([
            "BENCH_META_TOKEN": accounts.metaAccessToken, "BENCH_TIKTOK_TOKEN": accounts.tiktokAccessToken,
            "BENCH_PINTEREST_TOKEN": accounts.pinterestAccessToken, "BENCH_SNAPCHAT_TOKEN": accounts.snapchatAccessToken,
        ]) { $1 }
    }

    /// Starts `count` relays in one new group on the backlog and waits until every expected
    /// (platform, order) pair is acknowledged.
    func runRelays(count: Int, backlog: Backlog, executable: String? = nil, googleRequestsPerMinute: Int? = nil) async throws -> RunResult {
        let tracker = DeliveryTracker(orderCount: backlog.expected.count, expected: backlog.expected)
        trackerSlot.current.withLock { $0 = tracker }
        // `RELAY_BENCH_RATE_SERIES=1`: acknowledged orders per second, one line a second, to tell a
        // rate that holds from one that decays over a long backlog; with one instance, also the
        // relay's own view of its requests at the end (from its `/metrics`). One instance always
        // serves `/metrics`, for the time its read-ahead window kept it waiting.
        let rateSeries = ProcessInfo.processInfo.environment["RELAY_BENCH_RATE_SERIES"] != nil
        let metricsPort = count == 1 ? try Self.freePort() : nil
        let config = try writeConfig(
            topic: backlog.topic, group: "bench-\(count)-\(UUID().uuidString.prefix(8))", instances: count, metricsPort: metricsPort,
            googleRequestsPerMinute: googleRequestsPerMinute)
        let started = Date()
        let harnessCPUAtStart = ChildProcess.harnessCPUSeconds
        let relays = try launch(count: count, config: config, label: config.deletingPathExtension().lastPathComponent, executable: executable)
        let deadline = Date().addingTimeInterval(max(120, Double(backlog.expected.count) / 2_000))
        var lastSecond = Date(), lastPairs = 0
        while !tracker.isComplete, Date() < deadline, relays.allSatisfy({ $0.process.isRunning }) {
            try await Task.sleep(for: .milliseconds(20))
            if rateSeries, Date().timeIntervalSince(lastSecond) >= 1 {
                let pairs = tracker.deliveredPairs
                let rate = Double(pairs - lastPairs) / Date().timeIntervalSince(lastSecond)
                print("  rate: \(Int(Date().timeIntervalSince(started)))s \(Int(rate / Double(DeliveryTracker.platforms.count))) orders/s")
                lastSecond = Date()
                lastPairs = pairs
            }
        }
        let wall = Date().timeIntervalSince(started)
        let harnessCPU = ChildProcess.harnessCPUSeconds - harnessCPUAtStart
        // The counter appears with the first wait; a build that has the read-ahead gauge but no
        // counter never waited.
        let windowFull = metricsPort.flatMap { port in
            RelayRequestStatistics.value(of: "conversion_relay_read_ahead_window_full_seconds_total", port: port)
                ?? RelayRequestStatistics.value(of: "conversion_relay_read_ahead_events", port: port).map { _ in 0 }
        }
        if rateSeries, let metricsPort {
            for (platform, requests) in RelayRequestStatistics.scrape(port: metricsPort).sorted(by: { $0.key < $1.key }) {
                print(String(
                    format: "  %@: %.0f requests, mean %.1f ms, mean %.0f events", platform, requests.requests,
                    requests.meanMilliseconds, requests.meanEvents))
            }
        }
        try await Task.sleep(for: .milliseconds(500))  // late duplicates, if any, arrive now
        let cpu = relays.reduce(0) { $0 + $1.cpuSeconds }
        let peak = relays.map(\.residentMegabytes.peak).max() ?? 0
        // A relay that died mid-run has no rate: say so (with its log) rather than divide the
        // backlog by the few acknowledgements it managed.
        for (index, relay) in relays.enumerated() where !relay.process.isRunning {
            FileHandle.standardError.write(Data(
                "relay instance \(index) exited with status \(relay.process.terminationStatus) before the run ended; log: \(relay.log.path)\n".utf8))
        }
        for relay in relays { relay.stop() }
        // Holds, and holds that lasted into partition pauses. Builds before 2026-11-27 12:45 UTC
        // logged a retry-topic partition paused until its next record is due as a backpressure
        // pause too (all 102 "pauses" of the sixth round's 1 M run were those).
        let logs = relays.map { (try? String(contentsOf: $0.log, encoding: .utf8)) ?? "" }
        let holds = Self.occurrences(of: Self.holdMessage, in: logs)
        let partitionPauses = Self.occurrences(of: Self.pauseMessage, in: logs)
        let window = tracker.state.withLock { Double($0.lastMicros - $0.firstMicros) / 1_000_000 }
        let orders = Double(backlog.expected.count)
        return RunResult(
            instances: count, ordersPerSecond: tracker.isComplete ? orders / max(window, 0.001) : 0, ackWindowSeconds: window,
            wallSeconds: wall,
            cpuSecondsPerMillion: cpu / orders * 1_000_000, harnessCPUSecondsPerMillion: harnessCPU / orders * 1_000_000, peakMegabytes: peak, lost: tracker.lostPairs(),
            duplicates: tracker.state.withLock { $0.duplicates }, backpressureHolds: holds, partitionPauses: partitionPauses,
            readAheadWindowFullSeconds: windowFull)
    }

    func launch(count: Int, config: URL, label: String, executable: String? = nil) throws -> [ChildProcess] {
        try (0..<count).map { index in
            let log = workDirectory.appendingPathComponent("\(label)-\(index).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable ?? options.relay)
            child.arguments = ["run", "--config", config.path]
            child.environment = relayEnvironment
            let handle = try FileHandle(forWritingTo: log)
            child.standardOutput = handle
            child.standardError = handle
            try child.run()
            return ChildProcess(process: child, log: log)
        }
    }
}

/// Where the sandbox's receipt observer finds the current run's tracker.
final class TrackerSlot: Sendable {
    let current = Mutex<DeliveryTracker?>(nil)
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Mean request duration and batch size per platform, as the relay measured them
/// (`conversion_relay_destination_request_duration_seconds`, `conversion_relay_destination_batch_size`):
/// what of the produce-to-ack latency is the request, not the batch's linger.
struct RelayRequestStatistics {
    var requests: Double
    var meanMilliseconds: Double
    var meanEvents: Double

    /// The value of an unlabelled metric, `nil` when the relay does not export it (older builds:
    /// the `--compare` ones) or does not answer.
    static func value(of name: String, port: Int) -> Double? {
        guard let url = URL(string: "http://127.0.0.1:\(port)/metrics"), let data = try? Data(contentsOf: url) else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    static func scrape(port: Int) -> [String: RelayRequestStatistics] {
        guard let url = URL(string: "http://127.0.0.1:\(port)/metrics"), let data = try? Data(contentsOf: url) else { return [:] }
        var sums: [String: [String: Double]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let open = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}"),
                let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces))
            else { continue }
            let name = String(line[..<open])
            guard let platform = line[open..<close].split(separator: ",").first(where: { $0.contains("destination=") })?
                .split(separator: "\"").dropFirst().first
            else { continue }
            sums[String(platform), default: [:]][name, default: 0] += value
        }
        return sums.compactMapValues { metric in
            let duration = "conversion_relay_destination_request_duration_seconds"
            let batch = "conversion_relay_destination_batch_size"
            guard let count = metric[duration + "_count"], count > 0 else { return nil }
            return RelayRequestStatistics(
                requests: count, meanMilliseconds: (metric[duration + "_sum"] ?? 0) / count * 1000,
                meanEvents: (metric[batch + "_sum"] ?? 0) / max(metric[batch + "_count"] ?? 1, 1))
        }
    }
}
