import Foundation
import Logging
import RelayCore
import RelayKafka
import Synchronization

/// `conversion-relay replay`: re-publishes dead-letter records to the retry topic (after a token
/// or mapping fix), so the retry consumer delivers them.
///
/// It reads the dead-letter topic up to the end each partition had when the replay started (not
/// for a fixed time), logs its progress, and checkpoints: the replay group
/// (`<group_id>-replay-<filter>`, one per filter) commits how far records reached the retry topic,
/// so a second run with the same filter starts where the first stopped and re-sends nothing
/// (`fromBeginning` replays everything again). The records stay in the dead-letter topic. When no
/// record arrives for `stallAfterSeconds` before the end, it stops with
/// ``DeadLetterReplayer/Stopped`` (what was replayed is checkpointed; run it again to go on).
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

    /// The replay stopped before the end it had at start: nothing arrived for the stall time.
    public struct Stopped: Error, Sendable, CustomStringConvertible {
        public var summary: Summary
        public var unfinished: [TopicPartition]
        public var description: String {
            "replay stopped early: no record for the stall time on \(unfinished.map(\.description).joined(separator: ", ")) "
                + "(scanned \(summary.scanned), replayed \(summary.replayed); checkpointed, run it again to continue)"
        }
    }

    public var configuration: RelayConfiguration
    public var logger: Logger

    public init(configuration: RelayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The replay group for a filter: the same filter resumes from the same checkpoint.
    public func checkpointGroup(_ filter: Filter) -> String {
        let key = [filter.destination ?? "*", filter.reason ?? "*", filter.since.map(String.init) ?? "*", filter.until.map(String.init) ?? "*"]
            .joined(separator: "|")
        // FNV-1a: stable across runs and builds (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\(configuration.kafka.groupID)-replay-\(String(hash, radix: 16))"
    }

    /// Replays to the end the topic had at start. `dryRun` counts without writing or checkpointing.
    public func replay(
        _ filter: Filter, dryRun: Bool = false, fromBeginning: Bool = false, stallAfterSeconds: Double = 60,
        progressEverySeconds: Double = 5
    ) throws -> Summary {
        let kafka = configuration.kafka
        let topic = kafka.effectiveDeadLetterTopic
        let group = checkpointGroup(filter)
        let inspector = try KafkaGroupInspector(bootstrapServers: kafka.bootstrapServers, groupID: group, properties: kafka.properties)
        let watermarks = try inspector.watermarks(topic: topic)
        let checkpoints = fromBeginning ? [:] : try inspector.committedOffsets(topic: topic)
        var progress = ReplayProgress(
            ends: watermarks.mapValues(\.high), checkpoints: checkpoints, lowWatermarks: watermarks.mapValues(\.low),
            now: MonotonicClock.milliseconds())
        var summary = Summary()
        logger.info("replay: starting", metadata: [
            "kafka.topic": "\(topic)", "replay.group": "\(group)", "replay.records": "\(progress.total)", "dry_run": "\(dryRun)",
        ])
        guard !progress.isComplete else { return summary }

        var properties = kafka.properties.merging(kafka.consumerProperties) { $1 }
        properties["group.instance.id"] = nil
        properties["bootstrap.servers"] = kafka.bootstrapServers
        properties["group.id"] = group
        properties["auto.offset.reset"] = "earliest"
        let consumer = try KafkaConsumer(properties: properties, logger: logger)
        defer { consumer.close() }
        var producerProperties = kafka.properties.merging(kafka.producerProperties) { $1 }
        producerProperties["bootstrap.servers"] = kafka.bootstrapServers
        let producer = try KafkaProducer(properties: producerProperties, logger: logger)
        defer { producer.close() }
        let starts = progress.starts
        try consumer.subscribe(
            topics: [topic],
            handler: KafkaRebalanceHandler(
                assigned: { _ in }, revoked: { _, _ in },
                // Start at the replay's own start, whatever the group committed meanwhile.
                startingOffsets: { partitions in starts.filter { partitions.contains($0.key) } }))

        let failure = Mutex<KafkaError?>(nil)
        /// Waits until every record sent reached the retry topic, then checkpoints.
        func checkpoint() throws {
            guard !dryRun else { return }
            guard producer.flush(timeoutMilliseconds: 30_000) else {
                throw KafkaError(code: .underlying, message: "replay: not every record reached the retry topic")
            }
            if let error = failure.withLock({ $0 }) { throw error }
            progress.flushed()
            try consumer.storeOffsets(progress.checkpoint)
            try consumer.commitStored()
        }
        var lastReport = MonotonicClock.milliseconds()
        let stallAfter = Int64(stallAfterSeconds * 1000)
        while !progress.isComplete {
            let now = MonotonicClock.milliseconds()
            if progress.hasStalled(now: now, stallAfterMilliseconds: stallAfter) {
                try checkpoint()
                throw Stopped(summary: summary, unfinished: progress.unfinished)
            }
            if Double(now - lastReport) >= progressEverySeconds * 1000 {
                lastReport = now
                try checkpoint()
                logger.info("replay: progress", metadata: [
                    "replay.scanned": "\(progress.scanned)", "replay.records": "\(progress.total)", "replay.replayed": "\(summary.replayed)",
                ])
            }
            guard case .record(let record)? = consumer.poll(timeoutMilliseconds: 100) else { continue }
            guard progress.read(record.position, now: MonotonicClock.milliseconds()) else { continue }
            summary.scanned += 1
            guard let envelope = RetryEnvelope(headers: record.headers),
                filter.matches(envelope, timestamp: record.timestampMilliseconds)
            else { continue }
            summary.replayed += 1
            guard !dryRun else { continue }
            // A fresh start: attempt 1, due now, horizon from now; the history is kept.
            var replayed = envelope.next(
                errorClass: "replay", reason: "replayed from the dead-letter topic", destination: envelope.destination,
                notBeforeMilliseconds: MonotonicClock.epochMilliseconds())
            replayed.attempt = 1
            replayed.firstSeenMilliseconds = MonotonicClock.epochMilliseconds()
            producer.send(topic: kafka.effectiveRetryTopic, key: record.key, value: record.value, headers: replayed.headers) { result in
                if case .failure(let error) = result { failure.withLock { $0 = $0 ?? error } }
            }
        }
        try checkpoint()
        logger.info("replay: done", metadata: ["replay.scanned": "\(summary.scanned)", "replay.replayed": "\(summary.replayed)"])
        return summary
    }
}
