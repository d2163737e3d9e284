import Foundation
import Logging
import RelayCore
import RelayDestinations
import RelayHTTP
import RelayInput
import RelayKafka
import RelaySandbox
import RelayService
import Synchronization

/// What `conversion-relay demo` does, as a library function so tests can run it in-process.
public struct DemoRunner: Sendable {
    public struct Options: Sendable {
        public var orders = 300
        public var malformedEvery = 25
        public var brokers = 3
        public var partitions = 4
        public var seed: UInt64 = 42
        public var timeoutSeconds = 120
        /// The shape the sample orders are published in (the relay is configured to read it; jq
        /// reads a made-up in-house shape through ``SampleOrderGenerator/inHouseProgram``).
        public var input: InputFormat = .native

        public init() {}
    }

    /// The figures the demo ends with.
    public struct Summary: Sendable, Equatable {
        public var published = 0
        public var valid = 0
        public var delivered: [String: Int] = [:]
        /// Valid events deliberately not sent to a platform (no consent, too old), per platform.
        public var excluded: [String: Int] = [:]
        public var retryTopic: Int64 = 0
        public var committed: Int64 = 0
        public var endOffset: Int64 = 0

        /// One JSON object, keys in a fixed order.
        public var json: String {
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("published"); writer.integer(Int64(published))
            writer.key("valid"); writer.integer(Int64(valid))
            writer.key("delivered")
            writer.beginObject()
            for name in delivered.keys.sorted(by: DemoRunner.destinationOrder) {
                writer.key(dynamic: name); writer.integer(Int64(delivered[name]!))
            }
            writer.endObject()
            writer.key("excluded")
            writer.beginObject()
            for name in excluded.keys.sorted(by: DemoRunner.destinationOrder) {
                writer.key(dynamic: name); writer.integer(Int64(excluded[name]!))
            }
            writer.endObject()
            writer.key("retry_topic"); writer.integer(retryTopic)
            writer.key("committed"); writer.integer(committed)
            writer.key("end_offset"); writer.integer(endOffset)
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self)
        }
    }

    static func destinationOrder(_ lhs: String, _ rhs: String) -> Bool {
        let order = ["meta", "google", "tiktok", "pinterest", "snapchat"]
        return (order.firstIndex(of: lhs) ?? 99, lhs) < (order.firstIndex(of: rhs) ?? 99, rhs)
    }

    public var options: Options
    public var logger: Logger

    public init(options: Options = Options(), logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// The relay's `input` for sample orders published as `format`.
    static func inputSettings(_ format: InputFormat) throws -> InputSettings {
        switch format {
        case .native: .native
        case .segment: InputSettings(mapping: SegmentMapping())
        case .shopify: InputSettings(mapping: ShopifyMapping())
        case .jq: InputSettings(mapping: try JQMapping(program: SampleOrderGenerator.inHouseProgram))
        }
    }

    /// Runs the whole demo; `say` receives the human-readable progress lines.
    public func run(say: @Sendable (String) -> Void) async throws -> Summary {
        let topic = "orders"
        say("Starting an in-process Kafka cluster (librdkafka mock, \(options.brokers) brokers)…")
        let cluster = try MockKafkaCluster(brokers: options.brokers)
        try cluster.createTopic(topic, partitions: options.partitions)
        try cluster.createTopic("\(topic).conversion-retry", partitions: 1)
        try cluster.createTopic("\(topic).conversion-dlq", partitions: 1)

        say("Starting the local sandbox destinations…")
        let sandbox = try await SandboxServer()

        let generator = SampleOrderGenerator(
            seed: options.seed, malformedEvery: options.malformedEvery, nowSeconds: Int64(Date().timeIntervalSince1970))
        let samples = (0..<options.orders).map(generator.sample)
        let validCount = samples.filter(\.isValid).count
        say(
            "Publishing \(samples.count) orders to '\(topic)' as \(options.input.rawValue) records (\(samples.count - validCount) malformed on purpose)…")
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers], logger: logger)
        let failures = Mutex(0)
        for sample in samples {
            producer.send(topic: topic, key: Array(sample.orderID.utf8), value: SampleOrderGenerator.render(sample, as: options.input)) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        guard producer.flush(timeoutMilliseconds: 30_000), failures.withLock({ $0 }) == 0 else {
            throw KafkaError(code: .underlying, message: "publishing the sample orders failed")
        }
        producer.close()

        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: cluster.bootstrapServers))
        configuration.kafka.groupID = "conversion-relay-demo"
        configuration.kafka.topic = topic
        // The 2.0.2 mock finishes rebalances only after session.timeout.ms − 1 s.
        configuration.kafka.consumerProperties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        let http = CurlHTTPClient()
        configuration.destinations = try .sandbox(sandbox, http: http)
        configuration.input = try Self.inputSettings(options.input)

        say("Running the relay until every order is settled…")
        let engine = try RelayEngine(configuration: configuration, http: http, logger: logger)
        let inspector = try KafkaGroupInspector(bootstrapServers: cluster.bootstrapServers, groupID: configuration.kafka.groupID)
        let started = ContinuousClock.now
        async let running: Void = engine.run()
        var settled = false
        while ContinuousClock.now - started < .seconds(options.timeoutSeconds) {
            try await Task.sleep(for: .milliseconds(200))
            if let offsets = try? inspector.committedAndEnd(topic: topic), offsets.end == Int64(samples.count),
                offsets.committed == offsets.end
            {
                settled = true
                break
            }
        }
        engine.shutdown()
        try await running
        http.shutdown()

        var summary = Summary()
        summary.published = samples.count
        summary.valid = validCount
        let statistics = engine.statistics
        for destination in configuration.destinations.makeDestinations() {
            summary.delivered[destination.name] = Set(sandbox.receipts(destination.name).map(\.eventID)).count
            summary.excluded[destination.name] = (statistics.excluded[destination.name] ?? [:]).values.reduce(0, +)
        }
        let offsets = try inspector.committedAndEnd(topic: topic)
        summary.committed = offsets.committed
        summary.endOffset = offsets.end
        summary.retryTopic = try inspector.endOffsets(topic: configuration.kafka.effectiveRetryTopic).values.reduce(0, +)
        try await sandbox.shutdown()

        let elapsed = ContinuousClock.now - started
        say("")
        say("Summary (\(settled ? "all settled" : "TIMED OUT before everything settled") in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))))")
        say("  orders published            \(summary.published)")
        say("  valid events                \(summary.valid)")
        for name in summary.delivered.keys.sorted(by: Self.destinationOrder) {
            let reasons = (statistics.excluded[name] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            say(
                "  delivered to \(name.padding(toLength: 15, withPad: " ", startingAt: 0))\(summary.delivered[name]!)"
                    + "  (\(statistics.requests[name] ?? 0) requests" + (reasons.isEmpty ? "" : "; not sent: \(reasons.joined(separator: ", "))") + ")")
        }
        say("  malformed → retry topic     \(summary.retryTopic)")
        say("  committed / end offset      \(summary.committed) / \(summary.endOffset)")
        return summary
    }
}
