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

let testLogger: Logger = {
    var logger = Logger(label: "relay-test")
    logger.logLevel = .warning
    return logger
}()

/// `session.timeout.ms` of every test consumer. librdkafka 2.0.2's mock finishes a rebalance
/// after the session timeout less one second (a first join after a fixed 3 s), so this bounds
/// what each join, leave and crash costs a test. 3 s is also the least that works: the mock
/// expires a member whose last request is older than the session timeout, and a first JoinGroup
/// waits 3 s for its answer (with 2 s no member ever got an assignment). 3 s leaves ten
/// heartbeats per session.
let mockSessionTimeoutMilliseconds = 3_000
let mockConsumerProperties = ["session.timeout.ms": "\(mockSessionTimeoutMilliseconds)", "heartbeat.interval.ms": "300"]

/// A mock cluster with the orders, retry and dead-letter topics, and the sandbox destinations.
struct Fixture {
    let cluster: MockKafkaCluster
    let sandbox: SandboxServer
    let topic = "orders"

    static func make(brokers: Int = 3, partitions: Int = 4) async throws -> Fixture {
        let cluster = try MockKafkaCluster(brokers: brokers)
        try cluster.createTopic("orders", partitions: partitions)
        try cluster.createTopic("orders.conversion-retry", partitions: 1)
        try cluster.createTopic("orders.conversion-dlq", partitions: 1)
        return Fixture(cluster: cluster, sandbox: try await SandboxServer())
    }

    func configuration(group: String = "relay") -> RelayConfiguration {
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: cluster.bootstrapServers))
        configuration.kafka.groupID = group
        configuration.kafka.consumerProperties = mockConsumerProperties
        var meta = MetaDestinationConfiguration(
            pixelID: sandbox.accounts.metaPixelID, accessToken: Secret(sandbox.accounts.metaAccessToken))
        meta.endpoint = sandbox.baseURL
        meta.batchPolicy.lingerMilliseconds = 50
        configuration.destinations.meta = meta
        configuration.delivery.initialBackoffMilliseconds = 20
        configuration.delivery.maximumBackoffMilliseconds = 500
        // Unset, the read-ahead window would be four of the scenarios' small batches (20 events:
        // 80); the scenarios that are not about the window keep the 4,000 they were written for.
        configuration.delivery.readAheadEvents = 4_000
        return configuration
    }

    /// Publishes the samples and returns where each order landed.
    func publish(_ samples: [SampleOrderGenerator.Sample]) async throws -> [String: RecordPosition] {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers], logger: testLogger)
        defer { producer.close() }
        let positions = Mutex<[String: RecordPosition]>([:])
        let failures = Mutex(0)
        for sample in samples {
            producer.send(topic: topic, key: Array(sample.orderID.utf8), value: sample.bytes) { result in
                switch result {
                case .success(let report):
                    positions.withLock {
                        $0[sample.orderID] = RecordPosition(topicPartition: report.topicPartition, offset: report.offset)
                    }
                case .failure: failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(producer.flush(timeoutMilliseconds: 60_000))
        #expect(failures.withLock { $0 } == 0)
        return positions.withLock { $0 }
    }

    func inspector(group: String = "relay") throws -> KafkaGroupInspector {
        try KafkaGroupInspector(bootstrapServers: cluster.bootstrapServers, groupID: group)
    }

    /// Reads every record of `topic` from the beginning (assigned, not subscribed: no group join).
    func readAll(_ topic: String, expected: Int, seconds: Double = 30) throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(
            properties: [
                "bootstrap.servers": cluster.bootstrapServers, "group.id": "reader-\(UUID().uuidString)",
            ], logger: testLogger)
        defer { consumer.close() }
        let partitions = try KafkaGroupInspector(bootstrapServers: cluster.bootstrapServers, groupID: "reader")
            .partitions(of: topic)
        try consumer.assignFromBeginning(partitions)
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, records.count < expected {
            if case .record(let record)? = consumer.poll(timeoutMilliseconds: 100) { records.append(record) }
        }
        return records
    }
}

func samples(_ count: Int, malformedEvery: Int = 0, seed: UInt64 = 7) -> [SampleOrderGenerator.Sample] {
    let generator = SampleOrderGenerator(
        seed: seed, malformedEvery: malformedEvery, nowSeconds: Int64(Date().timeIntervalSince1970))
    return (0..<count).map(generator.sample)
}

/// The orders a platform must receive: valid, with marketing consent.
func deliverable(_ orders: [SampleOrderGenerator.Sample]) -> Set<String> {
    Set(orders.filter { $0.isValid && $0.marketingConsent }.map(\.orderID))
}

/// Compares delivered and expected event ids, reporting counts and a few examples, not thousands.
func expectSameEventIDs(
    _ actual: Set<String>, _ expected: Set<String>, _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    let missing = expected.subtracting(actual)
    let extra = actual.subtracting(expected)
    #expect(
        missing.isEmpty && extra.isEmpty,
        "\(label) missing \(missing.count) (e.g. \(missing.sorted().prefix(3))), unexpected \(extra.count) (e.g. \(extra.sorted().prefix(3)))",
        sourceLocation: sourceLocation)
}

/// What a scenario saw at the sandbox, for its checks and its figures line.
struct LedgerSummary {
    /// Distinct events received, per platform.
    var delivered: [String: Int] = [:]
    /// Receipts beyond the first of each event, per platform.
    var repeats: [String: Int] = [:]
    /// Event ids received more than once, per platform.
    var repeatedEventIDs: [String: Set<String>] = [:]

    var totalRepeats: Int { repeats.values.reduce(0, +) }
}

/// Checks the common scenario rules at the sandbox: every expected (platform, event) pair is
/// present, nothing unexpected arrived, and every repeat is byte-identical to the first copy.
@discardableResult
func checkLedger(
    _ fixture: Fixture, platforms: [String] = ["meta"], expected: Set<String>, sourceLocation: SourceLocation = #_sourceLocation
) -> LedgerSummary {
    var summary = LedgerSummary()
    for platform in platforms {
        let receipts = fixture.sandbox.receipts(platform)
        let byEvent = Dictionary(grouping: receipts, by: \.eventID)
        expectSameEventIDs(Set(byEvent.keys), expected, platform, sourceLocation: sourceLocation)
        summary.delivered[platform] = byEvent.count
        summary.repeats[platform] = receipts.count - byEvent.count
        var repeated: Set<String> = []
        for (eventID, copies) in byEvent where copies.count > 1 {
            repeated.insert(eventID)
            #expect(Set(copies.map(\.payloadSHA256)).count == 1, "\(platform): repeat of \(eventID) differs", sourceLocation: sourceLocation)
        }
        summary.repeatedEventIDs[platform] = repeated
    }
    return summary
}

/// Prints one JSON line of a scenario's figures (collected for the issue's closing note).
func reportScenario(_ name: String, _ figures: [String: Any]) {
    var all = figures
    all["scenario"] = name
    if let data = try? JSONSerialization.data(withJSONObject: all, options: [.sortedKeys]) {
        print("scenario-figures " + String(decoding: data, as: UTF8.self))
    }
}

/// Resident memory of a process in MiB: current and peak.
func residentMemoryMegabytes(pid: Int32) -> (current: Double, peak: Double)? {
    ProcessMemory.usage(pid: pid).map { (Double($0.residentBytes) / 1_048_576, Double($0.peakResidentBytes) / 1_048_576) }
}

/// Waits (bounded) for `condition`, checking every 100 ms.
func eventually(seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}

/// Runs engines in-process until the test ends.
final class RunningRelay: Sendable {
    let engine: RelayEngine
    let http = CurlHTTPClient()
    private let task: Task<Void, any Error>

    init(_ configuration: RelayConfiguration, role: RelayEngine.Role = .main, telemetry: RelayTelemetry = RelayTelemetry()) throws {
        let engine = try RelayEngine(configuration: configuration, role: role, http: http, telemetry: telemetry, logger: testLogger)
        self.engine = engine
        task = Task { try await engine.run() }
    }

    func stop() async throws {
        engine.shutdown()
        try await task.value
        http.shutdown()
    }
}

/// The `conversion-relay` executable built next to the tests.
enum RelayExecutable {
    static var url: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("conversion-relay")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/conversion-relay")
    }

    /// Starts the executable with output going to `log`.
    static func start(_ arguments: [String], environment: [String: String] = [:], log: URL) throws -> Process {
        let process = prepare(arguments, environment: environment)
        let handle = try writableEmptyFile(log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// What a finished run left behind.
    struct Finished {
        var status: Int32
        var standardOutput: String
        var standardError: String
        /// Both streams, for checks that nothing (a secret, say) appears on either.
        var output: String { standardOutput + standardError }
        var outputLines: [String] { standardOutput.split(separator: "\n").map(String.init) }
    }

    /// Runs the executable to completion, `standardInput` (a file) as its input, and captures its
    /// exit status and both streams (through files, so a full pipe cannot stall it).
    static func run(_ arguments: [String], environment: [String: String] = [:], standardInput: URL? = nil) throws -> Finished {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdout = directory.appendingPathComponent("stdout"), stderr = directory.appendingPathComponent("stderr")
        let process = prepare(arguments, environment: environment)
        if let standardInput { process.standardInput = try FileHandle(forReadingFrom: standardInput) }
        process.standardOutput = try writableEmptyFile(stdout)
        process.standardError = try writableEmptyFile(stderr)
        try process.run()
        process.waitUntilExit()
        return Finished(
            status: process.terminationStatus, standardOutput: try String(contentsOf: stdout, encoding: .utf8),
            standardError: try String(contentsOf: stderr, encoding: .utf8))
    }

    private static func prepare(_ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return process
    }

    private static func writableEmptyFile(_ file: URL) throws -> FileHandle {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        return try FileHandle(forWritingTo: file)
    }
}

/// Writes a configuration with all five destinations pointed at `sandbox` (and Google's service
/// account key beside it) into `directory`, tokens left as `${META_TOKEN}`, `${TIKTOK_TOKEN}`,
/// `${SNAP_TOKEN}`; `pinterestToken` and `tiktokExtra` are the lines that differ between tests.
func writeSandboxDestinationsConfig(
    _ sandbox: SandboxServer, in directory: URL, pinterestToken: String = "access_token: ${PINTEREST_TOKEN}", tiktokExtra: String = "",
    kafka: [String] = [#"bootstrap_servers: "127.0.0.1:1""#], trailingSections: [String] = []
) throws -> URL {
    let keyFile = directory.appendingPathComponent("google-key.json")
    try Data(try sandbox.googleServiceAccountKeyFile()).write(to: keyFile)
    let accounts = sandbox.accounts
    let config = directory.appendingPathComponent("relay.yaml")
    try """
        kafka:
          \(kafka.joined(separator: "\n  "))
        destinations:
          meta:
            pixel_id: "\(accounts.metaPixelID)"
            access_token: ${META_TOKEN}
            endpoint: \(sandbox.baseURL)
          google:
            operating_account_id: "\(accounts.googleOperatingAccountID)"
            conversion_action_id: "\(accounts.googleConversionActionID)"
            service_account_key_file: \(keyFile.path)
            endpoint: \(sandbox.baseURL)
          tiktok:
            pixel_code: \(accounts.tiktokPixelCode)
            access_token: ${TIKTOK_TOKEN}
            \(tiktokExtra)
            endpoint: \(sandbox.baseURL)
          pinterest:
            ad_account_id: "\(accounts.pinterestAdAccountID)"
            \(pinterestToken)
            endpoint: \(sandbox.baseURL)
          snapchat:
            pixel_id: \(accounts.snapchatPixelID)
            access_token: ${SNAP_TOKEN}
            endpoint: \(sandbox.baseURL)
        \(trailingSections.joined(separator: "\n"))
        """.write(to: config, atomically: true, encoding: .utf8)
    return config
}

/// The contract's full example order (schemas/examples/valid/full.json), as text.
func fullExampleOrder() throws -> String {
    try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schemas/examples/valid/full.json"), encoding: .utf8)
}

/// Writes a YAML config for a child relay process.
func writeConfig(_ fixture: Fixture, group: String, delivery: String = "", extra: String = "") throws -> URL {
    let yaml = """
        kafka:
          bootstrap_servers: "\(fixture.cluster.bootstrapServers)"
          group_id: \(group)
          topic: orders
          consumer_properties:
            session.timeout.ms: "\(mockSessionTimeoutMilliseconds)"
            heartbeat.interval.ms: "\(mockConsumerProperties["heartbeat.interval.ms"]!)"
        delivery:
          initial_backoff_ms: 20
          max_backoff_ms: 500
          max_concurrent_requests: 2
        \(delivery)
        destinations:
          meta:
            pixel_id: "\(fixture.sandbox.accounts.metaPixelID)"
            access_token: ${RELAY_TEST_META_TOKEN}
            endpoint: \(fixture.sandbox.baseURL)
            batch:
              max_events: 50
              linger_ms: 20
        observability:
          host: 127.0.0.1
          port: 0
        logging:
          level: info
        \(extra)
        """
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).yaml")
    try yaml.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// Collects log messages and their metadata, for tests that check or wait for what a component
/// logs (the Google request-status poller, the relay run in process).
final class CapturedLogs: Sendable {
    let lines = Mutex<[String]>([])

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String,
            line: UInt
        ) {
            let fields = (metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.lines.withLock { $0.append("\(message) \(fields)") }
        }
    }

    var logger: Logger { logger(level: .trace) }

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(sink: self) }
        logger.logLevel = level
        return logger
    }

    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }
}
