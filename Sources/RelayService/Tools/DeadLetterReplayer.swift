import Foundation
import Logging
import RelayCore
import RelayKafka
import Synchronization

/// `conversion-relay replay`: re-publishes dead-letter records to the retry topic (after a token
/// or mapping fix), so the retry consumer delivers them. Reads the dead-letter topic from the
/// beginning up to its end at start, under a throwaway consumer group; the records stay in the
/// dead-letter topic (replaying twice re-sends twice; the platforms deduplicate by event id).
public struct DeadLetterReplayer: Sendable {
    /// Which records to replay; every set condition must hold.
    public struct Filter: Sendable {
        public var destination: String?
        /// `relay.error.class`, e.g. `auth`, `too_old`, `invalid_event`.
        public var reason: String?
        /// Dead-letter record timestamps, epoch milliseconds, inclusive.
        public var since: Int64?
        public var until: Int64?

        public init(destination: String? = nil, reason: String? = nil, since: Int64? = nil, until: Int64? = nil) {
            self.destination = destination
            self.reason = reason
            self.since = since
            self.until = until
        }

        func matches(_ envelope: RetryEnvelope, timestamp: Int64) -> Bool {
            (destination == nil || envelope.destination == destination) && (reason == nil || envelope.errorClass == reason)
                && (since.map { timestamp >= $0 } ?? true) && (until.map { timestamp <= $0 } ?? true)
        }
    }

    public struct Summary: Sendable, Equatable {
        public var scanned = 0
        public var replayed = 0

        public init(scanned: Int = 0, replayed: Int = 0) {
            self.scanned = scanned
            self.replayed = replayed
        }
    }

    public var configuration: RelayConfiguration
    public var logger: Logger

    public init(configuration: RelayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func replay(_ filter: Filter, dryRun: Bool = false, timeoutSeconds: Double = 120) throws(KafkaError) -> Summary {
        let kafka = configuration.kafka
        let topic = kafka.effectiveDeadLetterTopic
        var properties = kafka.properties.merging(kafka.consumerProperties) { $1 }
        properties["group.instance.id"] = nil
        properties["bootstrap.servers"] = kafka.bootstrapServers
        let inspector = try KafkaGroupInspector(bootstrapServers: kafka.bootstrapServers, groupID: "unused", properties: kafka.properties)
        let ends = try inspector.endOffsets(topic: topic)
        var summary = Summary()
        guard ends.values.contains(where: { $0 > 0 }) else { return summary }

        properties["group.id"] = "conversion-relay-replay-\(UUID().uuidString)"
        properties["auto.offset.reset"] = "earliest"
        let consumer = try KafkaConsumer(properties: properties, logger: logger)
        defer { consumer.close() }
        var producerProperties = kafka.properties.merging(kafka.producerProperties) { $1 }
        producerProperties["bootstrap.servers"] = kafka.bootstrapServers
        let producer = try KafkaProducer(properties: producerProperties, logger: logger)
        defer { producer.close() }
        try consumer.subscribe(topics: [topic], handler: KafkaRebalanceHandler(assigned: { _ in }, revoked: { _, _ in }))

        var position: [TopicPartition: Int64] = [:]
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        let failure = Mutex<KafkaError?>(nil)
        while ends.contains(where: { (position[$0.key] ?? 0) < $0.value }), Date() < deadline {
            guard case .record(let record)? = consumer.poll(timeoutMilliseconds: 100) else { continue }
            position[record.position.topicPartition] = record.position.offset + 1
            guard record.position.offset < ends[record.position.topicPartition] ?? 0 else { continue }
            summary.scanned += 1
            guard let envelope = RetryEnvelope(headers: record.headers),
                filter.matches(envelope, timestamp: record.timestampMilliseconds)
            else { continue }
            summary.replayed += 1
            guard !dryRun else { continue }
            // A fresh start: attempt 1, due now, horizon from now; the history is kept.
            var replayed = envelope.next(
                errorClass: "replay", reason: "replayed from the dead-letter topic", destination: envelope.destination,
                notBeforeMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            replayed.attempt = 1
            replayed.firstSeenMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
            producer.send(topic: kafka.effectiveRetryTopic, key: record.key, value: record.value, headers: replayed.headers) { result in
                if case .failure(let error) = result { failure.withLock { $0 = $0 ?? error } }
            }
        }
        guard producer.flush(timeoutMilliseconds: 30_000) else {
            throw KafkaError(code: .underlying, message: "replay: not every record reached the retry topic")
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return summary
    }
}
