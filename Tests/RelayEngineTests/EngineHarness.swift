import Foundation
import Logging
import RelayCore
import RelayDestinations
import RelayKafka
import RelayService
import Synchronization
import Testing

/// One ``RelayEngine`` running against in-memory implementations of its boundaries: records
/// from an ``InMemoryRecordSource``, hand-offs to an ``InMemoryDurableWriter``, requests to a
/// ``ScriptedHTTPExecutor``. No socket, no Kafka, no thread of ours beyond the engine's own.
final class EngineHarness: Sendable {
    let source: InMemoryRecordSource
    let writer: InMemoryDurableWriter
    let http: ScriptedHTTPExecutor
    let logs: CapturedLogs
    let engine: RelayEngine
    let configuration: RelayConfiguration
    private let task = Mutex<Task<Void, any Error>?>(nil)

    static let retryTopic = "orders.conversion-retry"
    static let deadLetterTopic = "orders.conversion-dlq"

    /// The topic the engine consumes: `orders`, or the retry topic for the retry role.
    let topic: String

    /// An engine over `partitions` partitions of its role's topic (``start()`` runs it).
    init(
        partitions: Int = 1, configuration: RelayConfiguration = EngineHarness.configuration(),
        http: ScriptedHTTPExecutor = ScriptedHTTPExecutor(), role: RelayEngine.Role = .main
    ) {
        let topic = role == .main ? "orders" : Self.retryTopic
        let source = InMemoryRecordSource(topic: topic, partitions: partitions)
        let writer = InMemoryDurableWriter()
        let logs = CapturedLogs()
        var logger = Logger(label: "engine-test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .debug
        self.source = source
        self.writer = writer
        self.logs = logs
        self.http = http
        self.configuration = configuration
        self.topic = topic
        engine = RelayEngine(configuration: configuration, role: role, source: source, writer: writer, http: http, logger: logger)
    }

    /// Runs the engine (its first poll joins: every partition is assigned).
    @discardableResult
    func start() -> Self {
        let engine = self.engine
        task.withLock { $0 = Task { try await engine.run() } }
        return self
    }

    /// Meta alone, on `http://meta`, small batches and short waits.
    static func configuration(
        meta: Bool = true, google: (any AccessTokenProvider)? = nil, pinterest: Bool = false, batch: Int = 5
    ) -> RelayConfiguration {
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "in-memory"))
        let policy = BatchPolicy(maximumEvents: batch, lingerMilliseconds: 5)
        if meta {
            var settings = MetaDestinationConfiguration(pixelID: "1234567890", accessToken: Secret("meta-token"))
            settings.endpoint = "http://meta"
            settings.batchPolicy = policy
            configuration.destinations.meta = settings
        }
        if let google {
            var settings = GoogleDestinationConfiguration(operatingAccountID: "1234567890", conversionActionID: "987654321", tokenProvider: google)
            settings.endpoint = "http://google"
            settings.batchPolicy = policy
            settings.requestsPerMinute = nil
            settings.requestsPerDay = nil
            settings.requestStatusLookups = false
            configuration.destinations.google = settings
        }
        if pinterest {
            var settings = PinterestDestinationConfiguration(adAccountID: "549755885175", accessToken: Secret("pinterest-token"))
            settings.endpoint = "http://pinterest"
            settings.batchPolicy = policy
            settings.requestsPerMinute = nil
            configuration.destinations.pinterest = settings
        }
        configuration.delivery.initialBackoffMilliseconds = 5
        configuration.delivery.maximumBackoffMilliseconds = 20
        configuration.delivery.maximumAttempts = 1_000
        configuration.delivery.preparationThreads = 2
        // Unset, the window would be four of these tiny batches; the tests that are not about
        // the window keep it out of their way (EngineReadAheadTests sets its own).
        configuration.delivery.readAheadEvents = 4_000
        configuration.kafka.shutdownDrainTimeoutMilliseconds = 2_000
        configuration.kafka.revokeDrainTimeoutMilliseconds = 2_000
        return configuration
    }

    /// Asks the engine to stop and waits until `run()` returned.
    func stop() async throws {
        engine.shutdown()
        try await finished()
    }

    /// Waits until `run()` returned.
    func finished() async throws {
        try await task.withLock { $0 }?.value
    }

    func partition(_ number: Int32) -> TopicPartition { TopicPartition(topic: topic, partition: number) }

    /// Appends `count` valid orders to a partition (order ids `ORD-<partition>-<n>`, from `first`).
    @discardableResult
    func publish(_ count: Int, to number: Int32 = 0, first: Int = 0) -> [String] {
        let ids = (first..<(first + count)).map { "ORD-\(number)-\($0)" }
        source.append(ids.map { Orders.valid($0) }, to: partition(number))
        return ids
    }

    /// The envelopes written to the retry topic.
    var retryEnvelopes: [RetryEnvelope] { writer.written(to: Self.retryTopic).compactMap { RetryEnvelope(headers: $0.headers) } }

    /// Order ids the platform acknowledged (in requests the script answered as accepted).
    func requestedOrderIDs(_ platform: String) -> Set<String> { Set(http.requests(platform).flatMap(\.orderIDs)) }
}

/// Orders as the contract (schemas/order-completed.v1.json) describes them.
enum Orders {
    /// A valid order with an email and a phone and, unless told otherwise, marketing consent:
    /// every platform may receive it (if it is recent enough for the platform).
    static func valid(_ orderID: String, secondsAgo: Int64 = 60, marketingConsent: Bool = true) -> [UInt8] {
        let occurred = RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - secondsAgo)
        return Array(
            """
            {"schema_version":1,"event_type":"order.completed","order_id":"\(orderID)","occurred_at":"\(occurred)",\
            "currency":"EUR","value":42.5,"customer":{"email":"jane.doe@example.com","phone":"+49 30 1234567","country":"DE"},\
            "context":{"ip":"203.0.113.7","user_agent":"Mozilla/5.0 (X11; Linux x86_64)","page_url":"https://shop.example/thank-you"},\
            "consent":{"marketing":\(marketingConsent),"ad_user_data":true,"ad_personalization":true}}
            """.utf8)
    }
}

/// Waits (bounded) until `condition` holds, looking every 2 ms; returns whether it did. The
/// bound is generous: `make test` runs every unit target at once on two cores.
func eventually(seconds: Double = 30, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return try condition()
}

/// Log lines the engine wrote, for tests that check what it says (and never says).
final class CapturedLogs: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    func append(_ line: Line) { lines.withLock { $0.append(line) } }
    var all: [Line] { lines.withLock { $0 } }
    func containing(_ text: String) -> [Line] { all.filter { $0.message.contains(text) } }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
