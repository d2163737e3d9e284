import Foundation
import Logging
import RelayCore
import RelayDestinations
import RelayEngineCore
import RelayHTTP
import RelayKafka
import RelayPII
import Synchronization

/// The relay: consumes `order.completed` events, fans them out to every enabled destination in
/// batches, and stores a partition's offset only once every destination settled everything
/// before it (acknowledged, or durably written to the retry or dead-letter topic).
///
/// A thin driver: every decision (settlement, batching and pacing, each response's next step,
/// backpressure, the retry hold, rebalance memory, commits) is made by the value types of
/// `RelayEngineCore` in ``EngineState``; this class performs what they return against its
/// boundaries (``RecordSource``, ``DurableWriter``, `HTTPExecutor`).
///
/// Threads: one poll thread owns the consumer (records, rebalances, offset stores, pause and
/// resume) and takes up to ``maximumChunkRecords`` records per turn; the chunk is decoded,
/// normalised and encoded on `delivery.preparation_threads` threads at once (``RecordPreparer``,
/// pure work), then admitted on the poll thread in polled order; one delivery loop per
/// destination runs in a task group and sends batches with bounded concurrency; the producer's
/// thread reports retry-topic writes. The state sits behind one lock, taken once per polled
/// chunk and a few times per batch. docs/architecture.md draws a record's path.
public final class RelayEngine: Sendable {
    /// What this engine consumes.
    public enum Role: Sendable {
        /// The orders topic.
        case main
        /// The retry topic, in its own consumer group: holds each record until its not-before
        /// time (``RetryHold``), re-sends it to the destination its headers name, and gives up
        /// (dead-letter topic) after the maximum attempts or the retry horizon.
        case retry
    }

    public let role: Role
    let configuration: RelayConfiguration
    /// One lane per (store, destination): its own batches, delivery loop and metrics labels
    /// (built by the preparer, which routes events to them).
    var lanes: [Lane] { preparer.lanes }
    let consumer: any RecordSource
    let producer: any DurableWriter
    let http: any HTTPExecutor
    let logger: Logger
    let preparer: RecordPreparer
    /// Records polled and not yet ingested (poll thread; a lock only so the type stays `Sendable`).
    let polled = Mutex<[KafkaRecord]>([])
    /// Samples the warnings of malformed records (see ``LogSampler``): a burst of them is counted,
    /// not written line by line.
    let poisonLogSampler = Mutex(LogSampler())
    let state: Mutex<EngineState>
    /// Counters and Prometheus metrics.
    public let telemetry: RelayTelemetry
    let signal = SettlementSignal()
    let shutdownRequested = Atomic<Bool>(false)
    /// Stamped by the poll loop on every iteration, for `/healthz` (a stuck loop fails liveness).
    public let heartbeat = PollLoopHeartbeat()
    /// Set once ``run()`` closed the producer: a failed retry-topic write is not tried again.
    let producerClosed = Atomic<Bool>(false)
    let queues: [BatchQueue]
    let deliveryPolicy: DeliveryAttempt.Policy

    /// One admitted record: what is needed to settle it or re-route it, shared by its entries in
    /// every destination's batch (one reference per entry rather than a copy of each of its
    /// strings and buffers, each retained and released per destination).
    final class AdmittedRecord: Sendable {
        let position: RecordPosition
        let generation: UInt64
        let eventID: String
        let orderID: String
        let source: SourceRecord
        /// The envelope the record carried when it came from the retry topic.
        var previous: RetryEnvelope? { previousBox?.envelope }
        private let previousBox: RetryEnvelopeBox?

        init(
            position: RecordPosition, generation: UInt64, eventID: String, orderID: String, source: SourceRecord,
            previous: RetryEnvelopeBox?
        ) {
            self.position = position
            self.generation = generation
            self.eventID = eventID
            self.orderID = orderID
            self.source = source
            self.previousBox = previous
        }
    }

    /// One event in one destination's batch: its record. Its encoding for that destination is in
    /// the batch's payloads, at the same index (see ``DeliveryBatch``).
    struct PendingDelivery: Sendable {
        var record: AdmittedRecord
        /// Memory this entry accounts for: its payload, its share of the source record, and a
        /// fixed allowance for the bookkeeping around it.
        var chargedBytes: Int

        var position: RecordPosition { record.position }
        var eventID: String { record.eventID }
        var orderID: String { record.orderID }
        var source: SourceRecord { record.source }
        var previous: RetryEnvelope? { record.previous }
    }

    /// The original record, kept to write it unchanged to the retry topic if needed.
    struct SourceRecord: Sendable {
        var key: [UInt8]?
        var value: [UInt8]
        var firstSeenMilliseconds: Int64
    }

    struct Lane: Sendable {
        let destination: any ConversionDestination
        let label: DestinationLabel
        let platform: Platform?
    }

    /// The decision core's state, behind the engine's one lock.
    struct EngineState {
        var ledger = SettlementLedger()
        var batcher: LaneBatcher<PendingDelivery, PayloadSlice>
        var backpressure: BackpressureController
        var readAheadWindow: ReadAheadWindow
        var pauses = PartitionPauses()
        var retryHold = RetryHold()
        var rebalance = RebalanceCoordinator()
        var commits: CommitPolicy
        /// Bytes held for unsettled events, all lanes (see ``PendingDelivery/chargedBytes``).
        var inFlightBytes = 0
        /// Consecutive failed requests per lane (reset by a success): readiness.
        var consecutiveFailures: [Int]

        func mayEndBackpressure(now: Int64) -> Bool {
            backpressure.mayEnd(busiestLane: batcher.busiestLane, bytes: inFlightBytes, now: now)
        }

        /// How many records the poll loop may take now (``ReadAheadWindow``).
        func recordsToTake(chunk: Int) -> Int {
            readAheadWindow.recordsToTake(readAhead: ledger.readAhead, chunk: chunk)
        }

        /// The same for the poll loop's turn at `now`, and how long the window kept it waiting
        /// when a wait ends (``ReadAheadWindow/take(readAhead:chunk:now:)``).
        mutating func take(chunk: Int, now: Int64) -> (records: Int, endedWait: Int64?) {
            readAheadWindow.take(readAhead: ledger.readAhead, chunk: chunk, now: now)
        }
    }

    /// A closed batch of one lane: its entries, and their payloads at the same indices (the
    /// request's array as it is, see ``LaneBatcher``).
    struct DeliveryBatch: Sendable {
        var entries: [PendingDelivery]
        var payloads: [PayloadSlice]

        /// The entries and payloads at `indices`, in that order.
        func subset(_ indices: some Sequence<Int>) -> DeliveryBatch {
            var subset = DeliveryBatch(entries: [], payloads: [])
            for index in indices {
                subset.entries.append(entries[index])
                subset.payloads.append(payloads[index])
            }
            return subset
        }
    }

    final class BatchQueue: Sendable {
        let stream: AsyncStream<DeliveryBatch>
        let continuation: AsyncStream<DeliveryBatch>.Continuation
        init() {
            (stream, continuation) = AsyncStream.makeStream(of: DeliveryBatch.self)
        }
    }

    /// An engine with Kafka clients built from `configuration` (its own consumer group for the
    /// retry role).
    public convenience init(
        configuration: RelayConfiguration, role: Role = .main, http: any HTTPExecutor,
        telemetry: RelayTelemetry = RelayTelemetry(), logger: Logger
    ) throws(KafkaError) {
        let kafka = configuration.kafka
        // Only the retry topic's records carry headers the relay reads (their retry envelope).
        let consumer = try KafkaConsumer(
            properties: Self.consumerProperties(configuration, role: role), logger: logger, readsHeaders: role == .retry)
        var producerProperties = kafka.properties.merging(kafka.producerProperties) { $1 }
        producerProperties["bootstrap.servers"] = kafka.bootstrapServers
        let producer = try KafkaProducer(properties: producerProperties, logger: logger)
        self.init(
            configuration: configuration, role: role, source: consumer, writer: producer, http: http,
            telemetry: telemetry, logger: logger)
    }

    /// An engine over given boundaries (in tests, in-memory implementations of their contracts).
    public init(
        configuration: RelayConfiguration, role: Role = .main, source: any RecordSource, writer: any DurableWriter,
        http: any HTTPExecutor, telemetry: RelayTelemetry = RelayTelemetry(), logger: Logger
    ) {
        // Credentials fetched over HTTP use this client (nothing changes if the caller did it).
        let configuration = configuration.withCredentialProviders(http: http)
        self.role = role
        self.configuration = configuration
        let preparer = RecordPreparer(configuration: configuration, role: role)
        self.preparer = preparer
        let lanes = preparer.lanes
        self.http = http
        self.logger = logger
        self.telemetry = telemetry
        self.consumer = source
        self.producer = writer
        let delivery = configuration.delivery
        self.deliveryPolicy = DeliveryAttempt.Policy(
            maximumAttempts: delivery.maximumAttempts, handoffAfterMilliseconds: delivery.handoffAfterMilliseconds,
            backoff: Backoff(
                initialMilliseconds: delivery.initialBackoffMilliseconds, maximumMilliseconds: delivery.maximumBackoffMilliseconds))
        self.state = Mutex(
            EngineState(
                batcher: LaneBatcher(
                    policies: lanes.map(\.destination.batchPolicy),
                    pacing: lanes.map {
                        RequestPacing(requestsPerMinute: $0.destination.requestsPerMinute, requestsPerDay: $0.destination.requestsPerDay)
                    }),
                backpressure: BackpressureController(
                    limits: .init(
                        highWatermarkEvents: delivery.highWatermarkEvents, lowWatermarkEvents: delivery.lowWatermarkEvents,
                        highWatermarkBytes: delivery.highWatermarkBytes, lowWatermarkBytes: delivery.lowWatermarkBytes,
                        minimumPauseMilliseconds: delivery.minimumPauseMilliseconds)),
                readAheadWindow: ReadAheadWindow(
                    limits: .init(
                        events: delivery.readAheadEvents.map(Int64.init)
                            ?? ReadAheadWindow.Limits.defaultEvents(largestBatch: lanes.map(\.destination.batchPolicy.maximumEvents).max() ?? 1),
                        minimumPauseMilliseconds: Int64(delivery.minimumPauseMilliseconds))),
                commits: CommitPolicy(everyEvents: Int64(delivery.commitEveryEvents)),
                consecutiveFailures: Array(repeating: 0, count: lanes.count)))
        self.queues = lanes.map { _ in BatchQueue() }
    }

    /// The consumer's properties: the user's, the memory budget's prefetch bounds, the role's group.
    static func consumerProperties(_ configuration: RelayConfiguration, role: Role) -> [String: String] {
        let kafka = configuration.kafka
        var properties = kafka.properties.merging(kafka.consumerProperties) { $1 }
        // The memory budget bounds librdkafka's prefetch: the queue, and how far one fetch
        // response may overshoot it (one per broker; librdkafka requires at least
        // message.max.bytes + 512).
        if properties["queued.max.messages.kbytes"] == nil {
            properties["queued.max.messages.kbytes"] = String(configuration.delivery.prefetchKilobytes)
        }
        if properties["fetch.max.bytes"] == nil {
            properties["fetch.max.bytes"] = String(max(configuration.delivery.fetchMaximumBytes, 1_000_512))
        }
        // The time-based half of the commit policy (see CommitPolicy), unless set explicitly.
        if properties["auto.commit.interval.ms"] == nil {
            properties["auto.commit.interval.ms"] = String(configuration.delivery.commitIntervalMilliseconds)
        }
        properties["bootstrap.servers"] = kafka.bootstrapServers
        properties["group.id"] = role.groupID(configuration)
        // Static membership is for the main group's members; the retry consumer would clash with it.
        if role == .retry { properties["group.instance.id"] = nil }
        return properties
    }

    /// Whether the relay can do its job, for `/readyz`.
    public var health: RelayHealth {
        state.withLock { state in
            RelayHealth(
                assignmentReceived: state.ledger.assignmentReceived, assignedPartitions: state.ledger.assignedCount,
                failingDestinations: lanes.indices.filter { state.consecutiveFailures[$0] >= 3 }.map {
                    "\(lanes[$0].label.platform)/\(lanes[$0].label.store)"
                },
                destinationCount: lanes.count)
        }
    }

    /// A snapshot of the counters.
    public var statistics: RelayStatistics { telemetry.statistics }

    /// Asks the relay to stop: fetching stops, in-flight work drains (bounded), the settled
    /// frontier is committed, the consumer leaves the group, and ``run()`` returns.
    public func shutdown() {
        shutdownRequested.store(true, ordering: .releasing)
    }

    /// Runs until ``shutdown()`` (returns normally) or a fatal Kafka error (throws).
    public func run() async throws {
        prepareDurableTopics()
        try consumer.subscribe(
            topics: [role.topic(configuration)],
            handler: KafkaRebalanceHandler(
                assigned: { [self] partitions in handleAssigned(partitions) },
                revoked: { [self] partitions, lost in handleRevoked(partitions, lost: lost) },
                committed: { [self] result in handleCommitted(result) },
                startingOffsets: { [self] partitions in startingOffsets(partitions) }))
        logger.info(
            role.startedMessage,
            metadata: [
                "kafka.topic": "\(role.topic(configuration))",
                "destinations": "\(Set(lanes.map(\.label.platform)).sorted().joined(separator: ","))",
                "stores": "\(preparer.storeLanes.keys.sorted().joined(separator: ","))",
            ])
        let failure: KafkaError? = await withTaskGroup(of: Void.self) { group in
            for index in lanes.indices {
                group.addTask { await self.deliveryLoop(index) }
            }
            let failure = await withCheckedContinuation { continuation in
                let thread = Thread { [self] in
                    // Named from inside: on Linux a name set before `start()` never reaches the
                    // OS thread. The retry role's loop is told apart from the main one.
                    Thread.current.name = role == .retry ? "relay-retrypoll" : "relay-poll"
                    continuation.resume(returning: pollLoop())
                }
                thread.start()
            }
            // The poll loop drained what it could; anything still retrying stays uncommitted
            // and is redelivered after a restart.
            group.cancelAll()
            return failure
        }
        // From here a failed write is not retried (``writeUntilAcknowledged``): its record stays
        // uncommitted and is read again after a restart.
        producerClosed.store(true, ordering: .releasing)
        producer.close(flushTimeoutMilliseconds: 10_000)
        logger.info("relay stopped")
        if let failure { throw failure }
    }

    /// Readies the retry and dead-letter topics in the producer before anything is consumed: the
    /// first poison record after a start would otherwise wait for the topic's metadata, and its
    /// partition's frontier with it (the read-ahead window then stops consumption; see
    /// ``DurableWriter/prepare(topics:timeoutMilliseconds:)``). A topic that cannot be readied is
    /// logged, not fatal: its first write looks it up again.
    func prepareDurableTopics() {
        let kafka = configuration.kafka
        let failures = producer.prepare(
            topics: [kafka.effectiveRetryTopic, kafka.effectiveDeadLetterTopic], timeoutMilliseconds: Self.prepareTopicsTimeoutMilliseconds)
        for (topic, error) in failures.sorted(by: { $0.key < $1.key }) {
            logger.warning(
                "could not look up a topic the relay writes to; its first write looks it up again",
                metadata: ["kafka.topic": "\(topic)", "kafka.error": "\(error)"])
        }
    }

    /// Longest wait for each durable topic's metadata at start (the group join takes longer).
    static let prepareTopicsTimeoutMilliseconds: Int32 = 2_000

    /// Allowance per (event, destination) entry for what surrounds its bytes: the entry itself,
    /// strings, batch and frontier slots, allocator rounding. Measured with the backlog scenario.
    static let bookkeepingBytesPerEntry = 1024

    /// Records taken from librdkafka's queue per poll-loop turn, at most (fewer with a low
    /// `high_watermark_events`).
    static let maximumChunkRecords = 512

    /// Longest wait for the coordinator's answer to the commit on revoke. The rebalance waits
    /// for the revoke handler, so this stays short; the commit on unassign is the fallback.
    static let revokeCommitTimeoutMilliseconds: Int32 = 5_000
}

extension RelayEngine.Role {
    /// The topic this role consumes.
    func topic(_ configuration: RelayConfiguration) -> String {
        self == .main ? configuration.kafka.topic : configuration.kafka.effectiveRetryTopic
    }

    /// The consumer group: the configured one, or its retry group.
    func groupID(_ configuration: RelayConfiguration) -> String {
        self == .main ? configuration.kafka.groupID : configuration.kafka.groupID + configuration.retry.groupSuffix
    }

    var metricLabel: String { self == .main ? "main" : "retry" }
    var startedMessage: Logger.Message { self == .main ? "relay started" : "retry consumer started" }
}
