import Foundation
import Logging
import RelayCore
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelayPII
import Synchronization

/// The relay: consumes `order.completed` events, fans them out to every enabled destination in
/// batches, and stores a partition's offset only once every destination settled everything
/// before it (acknowledged, or durably written to the retry or dead-letter topic).
///
/// Threads: one poll thread owns the consumer (records, rebalances, offset stores, pause and
/// resume) and takes up to ``maximumChunkRecords`` records per turn; the chunk is decoded, normalised and
/// encoded on `delivery.preparation_threads` threads at once (``RecordPreparer``, pure work), then
/// admitted on the poll thread in polled order; one delivery loop per destination runs in a task group and sends batches with bounded
/// concurrency; the producer's thread reports retry-topic writes. Shared state sits behind one
/// lock, taken once per record and once per batch.
public final class RelayEngine: Sendable {
    /// What this engine consumes.
    public enum Role: Sendable {
        /// The orders topic.
        case main
        /// The retry topic, in its own consumer group: holds each record until its not-before
        /// time, re-sends it to the destination its headers name, and gives up (dead-letter topic)
        /// after the maximum attempts or the retry horizon.
        case retry
    }

    public let role: Role
    private let configuration: RelayConfiguration
    /// One lane per (store, destination): its own batches, delivery loop and metrics labels
    /// (built by the preparer, which routes events to them).
    private var lanes: [Lane] { preparer.lanes }
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let http: any HTTPExecutor
    private let logger: Logger
    private let preparer: RecordPreparer
    /// Records polled and not yet ingested (poll thread; a lock only so the type stays `Sendable`).
    private let polled = Mutex<[KafkaRecord]>([])
    private let backoff: Backoff
    private let state: Mutex<EngineState>
    /// Counters and Prometheus metrics.
    public let telemetry: RelayTelemetry
    private let signal = SettlementSignal()
    private let shutdownRequested = Atomic<Bool>(false)
    /// Stamped by the poll loop on every iteration, for `/healthz` (a stuck loop fails liveness).
    public let heartbeat = PollLoopHeartbeat()
    private let queues: [BatchQueue]

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
        let previous: RetryEnvelope?

        init(
            position: RecordPosition, generation: UInt64, eventID: String, orderID: String, source: SourceRecord,
            previous: RetryEnvelope?
        ) {
            self.position = position
            self.generation = generation
            self.eventID = eventID
            self.orderID = orderID
            self.source = source
            self.previous = previous
        }
    }

    /// One event in one destination's batch: its record and its encoding for that destination.
    struct PendingDelivery: Sendable {
        var record: AdmittedRecord
        var payload: [UInt8]
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

    struct PartitionState {
        var frontier = PartitionFrontier()
        /// Changes on every assignment, so late settlements from a previous ownership are ignored.
        var generation: UInt64
    }

    struct EngineState {
        var partitions: [TopicPartition: PartitionState] = [:]
        var batches: [BatchAccumulator<PendingDelivery>]
        var inFlight: [Int]
        var dirty: Set<TopicPartition> = []
        var stored: [TopicPartition: Int64] = [:]
        /// Offsets up to which this member settled revoked partitions but could not commit (the
        /// coordinator refused the commit on revoke): if a partition comes back here, reading
        /// resumes from there rather than from an older committed offset (see ``startingOffsets(_:)``).
        var settledUncommitted: [TopicPartition: Int64] = [:]
        var generation: UInt64 = 0
        var paused: Set<TopicPartition> = []
        var backpressure = false
        /// When backpressure last paused consumption (monotonic ms).
        var backpressureSince: Int64 = 0
        /// When freed heap was last handed back to the OS (monotonic ms); see ``heapReleaseIntervalMilliseconds``.
        var heapReleasedAt: Int64? = nil
        /// Bytes held for unsettled events, all lanes (see ``PendingDelivery/chargedBytes``).
        var inFlightBytes = 0
        var stopping = false
        var assignmentReceived = false
        /// Retry role: partitions paused until their head record is due (offset, due epoch ms).
        var held: [TopicPartition: (offset: Int64, dueMilliseconds: Int64)] = [:]
        /// Consecutive failed requests per lane (reset by a success): readiness.
        var consecutiveFailures: [Int]
        /// Per-lane request quotas (nil: none).
        var rateLimits: [RequestPacing?]
        /// Per lane: batches handed to its delivery loop whose request has not gone out yet
        /// (queued behind others, or waiting for the rate limiter). See ``FlushMode``.
        var unsentBatches: [Int]

        /// Whether a partial batch of `lane` may be closed now, outside shutdown and revoke. A
        /// rate-limited destination with batches still waiting for their turn keeps its open
        /// batch filling towards the platform's maximum instead: closed now, it would only queue
        /// behind them for a token, and carry fewer events in one of the few requests the limit
        /// allows (Google Data Manager: 300 requests a minute of up to 2,000 events per Cloud
        /// project, destinations.md §2, so events per request bound the rate). It closes when
        /// full, or once the batches before it have gone out.
        func mayClosePartialBatch(lane: Int) -> Bool {
            rateLimits[lane] == nil || unsentBatches[lane] == 0
        }

        /// Whether backpressure may end: every lane under the resume marks, and the hold at
        /// least `min_pause_ms` old.
        func mayEndBackpressure(_ delivery: DeliverySettings, now: Int64) -> Bool {
            (inFlight.max() ?? 0) <= delivery.lowWatermarkEvents && inFlightBytes <= delivery.lowWatermarkBytes
                && now - backpressureSince >= Int64(delivery.minimumPauseMilliseconds)
        }
    }

    final class BatchQueue: Sendable {
        let stream: AsyncStream<[PendingDelivery]>
        let continuation: AsyncStream<[PendingDelivery]>.Continuation
        init() {
            (stream, continuation) = AsyncStream.makeStream(of: [PendingDelivery].self)
        }
    }

    public init(
        configuration: RelayConfiguration, role: Role = .main, http: any HTTPExecutor,
        telemetry: RelayTelemetry = RelayTelemetry(), logger: Logger
    ) throws(KafkaError) {
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
        self.backoff = Backoff(
            initialMilliseconds: configuration.delivery.initialBackoffMilliseconds,
            maximumMilliseconds: configuration.delivery.maximumBackoffMilliseconds)
        let kafka = configuration.kafka
        var consumerProperties = kafka.properties.merging(kafka.consumerProperties) { $1 }
        // The memory budget bounds librdkafka's prefetch: the queue, and how far one fetch
        // response may overshoot it (one per broker; librdkafka requires at least
        // message.max.bytes + 512).
        if consumerProperties["queued.max.messages.kbytes"] == nil {
            consumerProperties["queued.max.messages.kbytes"] = String(configuration.delivery.prefetchKilobytes)
        }
        if consumerProperties["fetch.max.bytes"] == nil {
            consumerProperties["fetch.max.bytes"] = String(max(configuration.delivery.fetchMaximumBytes, 1_000_512))
        }
        consumerProperties["bootstrap.servers"] = kafka.bootstrapServers
        consumerProperties["group.id"] = role == .main ? kafka.groupID : kafka.groupID + configuration.retry.groupSuffix
        if role == .retry { consumerProperties["group.instance.id"] = nil }
        var producerProperties = kafka.properties.merging(kafka.producerProperties) { $1 }
        producerProperties["bootstrap.servers"] = kafka.bootstrapServers
        self.consumer = try KafkaConsumer(properties: consumerProperties, logger: logger)
        self.producer = try KafkaProducer(properties: producerProperties, logger: logger)
        self.state = Mutex(
            EngineState(
                batches: lanes.map { BatchAccumulator(policy: $0.destination.batchPolicy) },
                inFlight: Array(repeating: 0, count: lanes.count),
                consecutiveFailures: Array(repeating: 0, count: lanes.count),
                rateLimits: lanes.map {
                    RequestPacing(requestsPerMinute: $0.destination.requestsPerMinute, requestsPerDay: $0.destination.requestsPerDay)
                },
                unsentBatches: Array(repeating: 0, count: lanes.count)))
        self.queues = lanes.map { _ in BatchQueue() }
    }

    /// Whether the relay can do its job, for `/readyz`.
    public var health: RelayHealth {
        state.withLock { state in
            RelayHealth(
                assignmentReceived: state.assignmentReceived, assignedPartitions: state.partitions.count,
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
        try consumer.subscribe(
            topics: [role == .main ? configuration.kafka.topic : configuration.kafka.effectiveRetryTopic],
            handler: KafkaRebalanceHandler(
                assigned: { [self] partitions in handleAssigned(partitions) },
                revoked: { [self] partitions, lost in handleRevoked(partitions, lost: lost) },
                committed: { [self] result in handleCommitted(result) },
                startingOffsets: { [self] partitions in startingOffsets(partitions) }))
        logger.info(
            role == .main ? "relay started" : "retry consumer started",
            metadata: [
                "kafka.topic": "\(role == .main ? configuration.kafka.topic : configuration.kafka.effectiveRetryTopic)",
                "destinations": "\(Set(lanes.map(\.label.platform)).sorted().joined(separator: ","))",
                "stores": "\(preparer.storeLanes.keys.sorted().joined(separator: ","))",
            ])
        let failure: KafkaError? = await withTaskGroup(of: Void.self) { group in
            for index in lanes.indices {
                group.addTask { await self.deliveryLoop(index) }
            }
            let failure = await withCheckedContinuation { continuation in
                let thread = Thread { [self] in continuation.resume(returning: pollLoop()) }
                thread.name = "relay-poll"
                thread.start()
            }
            // The poll loop drained what it could; anything still retrying stays uncommitted
            // and is redelivered after a restart.
            group.cancelAll()
            return failure
        }
        producer.close(flushTimeoutMilliseconds: 10_000)
        logger.info("relay stopped")
        if let failure { throw failure }
    }

    // MARK: - Poll thread

    private func pollLoop() -> KafkaError? {
        var lastHousekeeping: Int64 = 0
        var lastGauges: Int64 = 0
        /// When the earliest open batch's linger runs out (as of the last flush).
        var nextBatchDeadline: Int64? = nil
        var fatal: KafkaError? = nil
        var tally = IngestTally(lanes: lanes.count)
        let laneLabels = lanes.map(\.label)
        // A chunk is admitted before backpressure is checked again: keep it small next to the
        // high watermark, so a pause still lands close to it.
        let chunkRecords = max(1, min(Self.maximumChunkRecords, configuration.delivery.highWatermarkEvents / 4))
        /// Keeps a record for ``ingestPolled(tally:)``; returns false after a fatal error.
        func accept(_ event: KafkaConsumerEvent) -> Bool {
            switch event {
            case .record(let record):
                polled.withLock { $0.append(record) }
            case .error(let error):
                if error.rdKafkaCode == KafkaError.RDKafkaCode.fatal {
                    logger.critical("fatal Kafka error, stopping", metadata: ["kafka.error": "\(error)"])
                    fatal = error
                    return false
                }
                logger.warning("Kafka consumer error", metadata: ["kafka.error": "\(error)"])
            }
            return true
        }
        let delivery = configuration.delivery
        /// Over the high watermark, briefly: take no records until settlements bring the relay
        /// under its resume mark (see ``holdBeforePauseMilliseconds``).
        var holding = false
        var reportedFetchWakeUps = 0
        while !shutdownRequested.load(ordering: .acquiring) {
            heartbeat.stamp()
            // Wait for records at most 20 ms, and no longer than until a batch is due: it then
            // leaves at its linger time, not up to one poll wait later.
            let pollTimeout = Int32(nextBatchDeadline.map { max(0, min(20, $0 - MonotonicClock.milliseconds())) } ?? 20)
            if holding {
                // Until the hold can end (what applyBackpressure checks), woken by settlements,
                // at most 5 ms: the loop's housekeeping (batch deadlines, offsets) keeps running.
                _ = signal.wait(untilMonotonicMilliseconds: MonotonicClock.milliseconds() + 5) {
                    state.withLock { $0.mayEndBackpressure(delivery, now: MonotonicClock.milliseconds()) }
                }
            } else if let event = consumer.poll(timeoutMilliseconds: pollTimeout), accept(event) {
                // Take what librdkafka already holds, without waiting, up to one chunk: the chunk
                // is prepared on several threads at once.
                var taken = 1
                while taken < chunkRecords, let next = consumer.poll(timeoutMilliseconds: 0), accept(next) { taken += 1 }
            }
            ingestPolled(tally: &tally)
            if fatal != nil { break }
            let now = MonotonicClock.milliseconds()
            if holding || now - lastHousekeeping >= 5 || now >= nextBatchDeadline ?? .max {
                lastHousekeeping = now
                if tally.valid > 0 {
                    telemetry.publish(tally, lanes: laneLabels)
                    tally.reset()
                }
                nextBatchDeadline = flushBatches(holding ? .holding : .due)
                storeDirtyOffsets()
                releaseDueRecords()
                holding = applyBackpressure()
            }
            if now - lastGauges >= 1000 {
                lastGauges = now
                updateGauges()
                let fetchWakeUps = consumer.fetchWakeUps
                telemetry.fetchWakeUps(fetchWakeUps - reportedFetchWakeUps)
                reportedFetchWakeUps = fetchWakeUps
            }
        }
        telemetry.publish(tally, lanes: laneLabels)
        state.withLock { $0.stopping = true }
        if fatal == nil {
            logger.info("shutting down: draining in-flight deliveries")
            flushBatches(.all)
            let deadline = MonotonicClock.milliseconds() + Int64(configuration.kafka.shutdownDrainTimeoutMilliseconds)
            let drained = signal.wait(untilMonotonicMilliseconds: deadline) {
                state.withLock { state in state.partitions.values.allSatisfy { $0.frontier.pendingCount == 0 } }
            }
            if !drained { logger.warning("shutdown drain timed out; unsettled events will be redelivered after restart") }
            storeDirtyOffsets()
            // Runs the final revoke (stores again) and commits the stored offsets, then leaves the group.
            consumer.close()
        } else {
            consumer.abandon()
        }
        for queue in queues { queue.continuation.finish() }
        return fatal
    }

    /// Ingests what the poll loop collected: prepares the records (in parallel, see
    /// ``RecordPreparer``), then admits them one by one in the order they were polled.
    private func ingestPolled(tally: inout IngestTally) {
        let records = polled.withLock { polled in
            var taken: [KafkaRecord] = []
            swap(&taken, &polled)
            return taken
        }
        guard !records.isEmpty else { return }
        let prepared = preparer.prepare(records)
        for (record, prepared) in zip(records, prepared) { admit(record, prepared, tally: &tally) }
    }

    /// Ingests what was polled before a rebalance, from a rebalance handler (the tally is
    /// published at once). Records of `revoked` partitions are dropped instead: they were never
    /// tracked, so the committed frontier stops before them and their next owner reads them
    /// again; ingesting them would only lengthen the revoke drain.
    private func ingestPolledNow(dropping revoked: Set<TopicPartition> = []) {
        if !revoked.isEmpty {
            polled.withLock { $0.removeAll { revoked.contains($0.position.topicPartition) } }
        }
        var tally = IngestTally(lanes: lanes.count)
        ingestPolled(tally: &tally)
        telemetry.publish(tally, lanes: lanes.map(\.label))
    }

    /// Tracks a record that one retry- or dead-letter-topic write will settle.
    private func trackAwaitingOneSettlement(_ position: RecordPosition) {
        state.withLock { state in
            state.partitions[position.topicPartition]?.frontier.track(offset: position.offset, settlements: 1)
            state.dirty.insert(position.topicPartition)
        }
    }

    private func admit(_ record: KafkaRecord, _ prepared: PreparedRecord, tally: inout IngestTally) {
        let position = record.position
        let topicPartition = position.topicPartition
        guard let generation = state.withLock({ $0.partitions[topicPartition]?.generation }) else {
            logger.debug("record for a partition not assigned here, skipped", metadata: ["kafka.partition": "\(topicPartition)"])
            return
        }
        let previous = prepared.previous
        if let previous {
            guard state.withLock({ $0.held[topicPartition] == nil }) else {
                return  // fetched before the pause took effect; re-read after the seek
            }
            let due = previous.notBeforeMilliseconds ?? 0
            if due > MonotonicClock.epochMilliseconds() {
                // Not due: pause the partition (the poll loop keeps running) and read this record
                // again when it is; nothing after it is processed meanwhile.
                state.withLock { $0.held[topicPartition] = (position.offset, due) }
                applyBackpressure()
                return
            }
        }
        let source = SourceRecord(
            key: record.key, value: record.value,
            firstSeenMilliseconds: previous?.firstSeenMilliseconds ?? MonotonicClock.epochMilliseconds())
        switch prepared.outcome {
        case .malformed(let error):
            trackAwaitingOneSettlement(position)
            if let previous {
                // Still not decodable: retrying cannot help, straight to the dead-letter topic.
                let envelope = previous.next(
                    errorClass: error.kind.rawValue, reason: error.description, destination: nil, notBeforeMilliseconds: nil)
                writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope) {
                    [self] in
                    settle([(position, generation)], lane: nil)
                }
                return
            }
            telemetry.consumed(valid: false)
            telemetry.poison(errorClass: error.kind.rawValue)
            logger.warning(
                "poison record routed to the retry topic",
                metadata: [
                    "kafka.partition": "\(topicPartition)", "kafka.offset": "\(position.offset)",
                    "error.class": "\(error.kind.rawValue)", "error.reason": "\(error.description)",
                ])
            let envelope = RetryEnvelope(
                origin: position, errorClass: error.kind.rawValue, reason: error.description,
                firstSeenMilliseconds: source.firstSeenMilliseconds,
                notBeforeMilliseconds: MonotonicClock.epochMilliseconds() + configuration.retry.delayMilliseconds(beforeAttempt: 2))
            writeUntilAcknowledged(topic: configuration.kafka.effectiveRetryTopic, source: source, envelope: envelope) {
                [self] in
                telemetry.poisonWrittenToRetryTopic()
                settle([(position, generation)], lane: nil)
            }
        case .unknownStore(let orderID, let eventID, let storeID):
            tally.valid += 1
            trackAwaitingOneSettlement(position)
            logger.warning(
                "event for an unknown store written to the dead-letter topic",
                metadata: ["order_id": "\(orderID)", "event_id": "\(eventID)", "store_id": "\(storeID ?? "")"])
            let envelope = RetryEnvelope(
                origin: position, errorClass: "unknown_store", reason: "store_id has no configured destinations",
                firstSeenMilliseconds: source.firstSeenMilliseconds)
            writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope) {
                [self] in
                settle([(position, generation)], lane: nil)
            }
        case .encoded(let orderID, let eventID, let sends, let exclusions):
            tally.valid += 1
            for send in sends {
                tally.encoded[send.lane] += 1
                if send.coverage.contains(.email) { tally.email[send.lane] += 1 }
                if send.coverage.contains(.phone) { tally.phone[send.lane] += 1 }
                if send.coverage.contains(.invalidPhone) { tally.invalidPhone[send.lane] += 1 }
                if send.coverage.contains(.clickID) { tally.clickID[send.lane] += 1 }
            }
            for (lane, exclusion) in exclusions { tally.excluded[lane][exclusion.reason, default: 0] += 1 }
            let deadLetters = exclusions.filter(\.exclusion.deadLetter)
            let now = MonotonicClock.milliseconds()
            let ready: [(Int, [PendingDelivery])] = state.withLock { state in
                state.partitions[topicPartition]?.frontier.track(
                    offset: position.offset, settlements: sends.count + deadLetters.count)
                state.dirty.insert(topicPartition)
                var ready: [(Int, [PendingDelivery])] = []
                let sourceShare = (source.value.count + (source.key?.count ?? 0)) / max(sends.count, 1)
                let record = AdmittedRecord(
                    position: position, generation: generation, eventID: eventID, orderID: orderID, source: source,
                    previous: previous)
                for send in sends {
                    state.inFlight[send.lane] += 1
                    let charged = send.payload.count + sourceShare + Self.bookkeepingBytesPerEntry
                    state.inFlightBytes += charged
                    let pending = PendingDelivery(record: record, payload: send.payload, chargedBytes: charged)
                    if let closed = state.batches[send.lane].append(pending, bytes: send.payload.count, now: now) {
                        ready.append((send.lane, closed))
                        state.unsentBatches[send.lane] += 1
                    }
                }
                return ready
            }
            for (index, batch) in ready { queues[index].continuation.yield(batch) }
            for (index, exclusion) in deadLetters {
                let label = lanes[index].label
                logger.notice(
                    "event not sent to destination, written to the dead-letter topic",
                    metadata: [
                        "destination": "\(label.platform)", "store": "\(label.store)", "order_id": "\(orderID)",
                        "event_id": "\(eventID)", "reason": "\(exclusion.reason)", "detail": "\(exclusion.detail)",
                    ])
                let envelope =
                    previous?.next(errorClass: exclusion.reason, reason: exclusion.detail, destination: label.platform, notBeforeMilliseconds: nil)
                    ?? RetryEnvelope(
                        origin: position, errorClass: exclusion.reason, reason: exclusion.detail, destination: label.platform,
                        firstSeenMilliseconds: source.firstSeenMilliseconds)
                writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope) {
                    [self] in
                    telemetry.deadLettered(label)
                    settle([(position, generation)], lane: nil)
                }
            }
        }
    }

    private func updateGauges() {
        let (partitions, stored, paused, inFlight) = state.withLock { state in
            (Array(state.partitions.keys), state.stored, state.paused.count, state.inFlight)
        }
        let lag = consumer.lag(partitions)
        for partition in partitions {
            telemetry.partition(partition, lag: lag[partition], stored: stored[partition])
        }
        telemetry.assignment(role: role == .main ? "main" : "retry", assigned: partitions.count, paused: paused)
        for (index, lane) in lanes.enumerated() { telemetry.inFlight(lane.label, events: inFlight[index]) }
        telemetry.memory(inFlightBytes: state.withLock { $0.inFlightBytes }, residentBytes: ProcessMemory.usage()?.residentBytes)
    }

    private func handleCommitted(_ result: Result<[TopicPartition: Int64], KafkaError>) {
        switch result {
        case .success(let offsets):
            telemetry.offsetCommit(succeeded: true)
            for (partition, offset) in offsets { telemetry.committed(partition, offset: offset) }
        case .failure(let error):
            telemetry.offsetCommit(succeeded: false)
            logger.warning("offset commit failed; the next commit will cover it", metadata: ["kafka.error": "\(error)"])
        }
    }

    /// Which open (partial) batches ``flushBatches(_:)`` closes.
    enum FlushMode {
        /// Those whose linger has run out.
        case due
        /// Every one: consumption is held, nothing more arrives to fill them, and waiting for
        /// the linger would only keep the relay above its resume mark.
        case holding
        /// Every one, whatever the destination's rate limit: shutdown and revoke drain.
        case all
    }

    /// Closes and sends open batches as `mode` says (except, outside ``FlushMode/all``, those of
    /// rate-limited destinations with batches still waiting: ``EngineState/mayClosePartialBatch(lane:)``);
    /// returns when the earliest batch left open that may close is due.
    @discardableResult
    private func flushBatches(_ mode: FlushMode) -> Int64? {
        let now = MonotonicClock.milliseconds()
        let (ready, nextDeadline): ([(Int, [PendingDelivery])], Int64?) = state.withLock { state in
            var ready: [(Int, [PendingDelivery])] = []
            var nextDeadline: Int64? = nil
            for index in state.batches.indices where !state.batches[index].isEmpty {
                // Left open to fill: looked at again on the next turn (at most 20 ms away).
                guard mode == .all || state.mayClosePartialBatch(lane: index) else { continue }
                let batch: [PendingDelivery]? =
                    mode == .due ? state.batches[index].takeIfDue(now: now) : state.batches[index].take()
                if let batch {
                    ready.append((index, batch))
                    state.unsentBatches[index] += 1
                }
                if let deadline = state.batches[index].deadline { nextDeadline = min(nextDeadline ?? deadline, deadline) }
            }
            return (ready, nextDeadline)
        }
        for (index, batch) in ready { queues[index].continuation.yield(batch) }
        return nextDeadline
    }

    private func storeDirtyOffsets() {
        let offsets: [TopicPartition: Int64] = state.withLock { state in
            var offsets: [TopicPartition: Int64] = [:]
            for topicPartition in state.dirty {
                guard let offset = state.partitions[topicPartition]?.frontier.committableOffset else { continue }
                if offset > state.stored[topicPartition] ?? -1 {
                    offsets[topicPartition] = offset
                    state.stored[topicPartition] = offset
                }
            }
            state.dirty.removeAll(keepingCapacity: true)
            return offsets
        }
        store(offsets)
    }

    private func store(_ offsets: [TopicPartition: Int64]) {
        guard !offsets.isEmpty else { return }
        do {
            try consumer.storeOffsets(offsets)
        } catch {
            if error.isPartitionNotAssigned {
                telemetry.staleOffsetStore()
            } else {
                logger.warning("storing offsets failed", metadata: ["kafka.error": "\(error)"])
            }
        }
    }

    /// Retry role: seeks each held partition back to its head record once it is due, so the next
    /// poll returns it again (``applyBackpressure()`` then resumes the partition).
    private func releaseDueRecords() {
        guard role == .retry else { return }
        let now = MonotonicClock.epochMilliseconds()
        let due: [(TopicPartition, Int64)] = state.withLock { state in
            let due = state.held.filter { $0.value.dueMilliseconds <= now }.map { ($0.key, $0.value.offset) }
            for (partition, _) in due { state.held[partition] = nil }
            return due
        }
        for (partition, offset) in due {
            do {
                try consumer.seek(partition, to: offset)
            } catch {
                logger.warning("seek to a due retry record failed; it will be re-read after a rebalance", metadata: ["kafka.error": "\(error)"])
            }
        }
    }

    /// Pauses every assigned partition while some destination has more unsettled events than the
    /// high watermark, or unsettled events hold more bytes than the memory budget allows, and
    /// resumes when both are under their low watermarks (after at least the minimum pause). The
    /// poll loop keeps polling meanwhile, so the member stays in the group.
    /// Freed heap goes back to the OS on resume at most this often. Under a backlog the relay
    /// pauses and resumes a few times a second; trimming on each resume made the allocator fault
    /// the same pages back in at once (page faults and `malloc_trim` were ~9 % of the relay's CPU
    /// in a `perf` profile of a 200,000-order backlog). A drained or slow period still trims.
    static let heapReleaseIntervalMilliseconds: Int64 = 5_000

    /// How long consumption may be held over the high watermark before the partitions are
    /// paused. A hold only stops taking records from librdkafka's queue; a pause makes librdkafka
    /// drop the records it prefetched for the partition and fetch them again on resume
    /// (confluent-kafka-go#260, librdkafka#5343), which under a backlog happened about once a
    /// second. Holds are short (the destinations drain the relay to its resume mark); a hold that
    /// lasts, because a destination is slow or down, pauses the partitions so the poll loop can
    /// go back to polling for rebalances without taking records.
    static let holdBeforePauseMilliseconds: Int64 = 1_000

    /// Applies the watermarks; returns whether consumption is held (the poll loop then takes no
    /// records, but the partitions are not paused).
    @discardableResult
    private func applyBackpressure() -> Bool {
        let delivery = configuration.delivery
        let now = MonotonicClock.milliseconds()
        var releaseMemory = false
        var holdStarted = false
        var holding = false
        let (toPause, toResume, heldBytes, notDue): ([TopicPartition], [TopicPartition], Int, Set<TopicPartition>) = state.withLock { state in
            let busiest = state.inFlight.max() ?? 0
            if !state.backpressure, busiest >= delivery.highWatermarkEvents || state.inFlightBytes >= delivery.highWatermarkBytes {
                holdStarted = true
                state.backpressure = true
                state.backpressureSince = now
                telemetry.backpressurePaused()
            } else if state.backpressure, state.mayEndBackpressure(delivery, now: now) {
                state.backpressure = false
                if state.heapReleasedAt.map({ now - $0 >= Self.heapReleaseIntervalMilliseconds }) ?? true {
                    state.heapReleasedAt = now
                    releaseMemory = true
                }
            }
            let pauseAll = state.backpressure && now - state.backpressureSince >= Self.holdBeforePauseMilliseconds
            holding = state.backpressure && !pauseAll
            // The usual turn: nothing paused, nothing to pause (no sets built per turn).
            if !pauseAll, state.held.isEmpty, state.paused.isEmpty { return ([], [], state.inFlightBytes, []) }
            let notDue = Set(state.held.keys)
            let desired = (pauseAll ? Set(state.partitions.keys) : []).union(notDue)
            let pause = desired.subtracting(state.paused)
            let resume = state.paused.subtracting(desired)
            state.paused = desired
            return (Array(pause), Array(resume), state.inFlightBytes, notDue)
        }
        if holdStarted {
            logger.info("backpressure: holding consumption", metadata: ["in_flight_bytes": "\(heldBytes)"])
            // Nothing more arrives while consumption is held, so partial batches cannot fill:
            // send them now instead of after their linger (what drains the relay to the resume
            // mark sooner).
            _ = flushBatches(.holding)
        }
        if !toPause.isEmpty {
            // Two causes, logged apart (operators and the harness count backpressure pauses): a
            // hold that lasted, and a retry-topic partition whose next record is not due yet.
            let waiting = toPause.filter(notDue.contains)
            let overBudget = toPause.filter { !notDue.contains($0) }
            if !overBudget.isEmpty {
                logger.info(
                    "backpressure: pausing partitions",
                    metadata: ["kafka.partitions": "\(overBudget.sorted())", "in_flight_bytes": "\(heldBytes)"])
            }
            if !waiting.isEmpty {
                logger.info("pausing partitions until their next retry is due", metadata: ["kafka.partitions": "\(waiting.sorted())"])
            }
            do { try consumer.pause(toPause) } catch { logger.warning("pause failed", metadata: ["kafka.error": "\(error)"]) }
        }
        if releaseMemory {
            // The backlog drained: hand the freed heap back to the OS so resident memory follows
            // the watermarks instead of staying at the peak (glibc keeps freed pages otherwise).
            ProcessMemory.releaseFreedHeap()
        }
        if !toResume.isEmpty {
            logger.info("resuming partitions", metadata: ["kafka.partitions": "\(toResume.sorted())"])
            do { try consumer.resume(toResume) } catch { logger.warning("resume failed", metadata: ["kafka.error": "\(error)"]) }
        }
        return holding
    }

    // MARK: - Rebalance (poll thread, inside consumer.poll)

    private func handleAssigned(_ partitions: [TopicPartition]) {
        // Records polled before the rebalance come first, as if ingested one by one.
        ingestPolledNow()
        state.withLock { state in
            state.generation += 1
            state.assignmentReceived = true
            for partition in partitions {
                state.partitions[partition] = PartitionState(generation: state.generation)
                state.stored[partition] = nil
            }
        }
        telemetry.rebalance("assigned")
        logger.info("partitions assigned", metadata: ["kafka.partitions": "\(partitions.sorted())"])
    }

    /// Where partitions about to be assigned start: past what this member settled before it
    /// lost them with the commit refused (``EngineState/settledUncommitted``), unless the group
    /// committed further meanwhile (another member's work) or that is unknown. Every event below
    /// such an offset was delivered to every destination by this process, so skipping them loses
    /// nothing and sends nothing twice; everything else starts at the committed offset.
    private func startingOffsets(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        let remembered: [TopicPartition: Int64] = state.withLock { state in
            var remembered: [TopicPartition: Int64] = [:]
            for partition in partitions {
                if let offset = state.settledUncommitted.removeValue(forKey: partition) { remembered[partition] = offset }
            }
            return remembered
        }
        guard !remembered.isEmpty else { return [:] }
        let committed = (try? consumer.committed(Array(remembered.keys), timeoutMilliseconds: Self.revokeCommitTimeoutMilliseconds)) ?? [:]
        let starts = remembered.filter { partition, offset in offset > ((committed[partition] ?? nil) ?? -1) }
        if !starts.isEmpty {
            telemetry.resumedPastUncommitted(starts.count)
            logger.info(
                "partitions back after a refused commit: resuming past the events this member already settled",
                metadata: ["kafka.partitions": "\(starts.keys.sorted())"])
        }
        return starts
    }

    private func handleRevoked(_ partitions: [TopicPartition], lost: Bool) {
        let revoked = Set(partitions)
        // Records polled before the rebalance: the kept partitions' are ingested, the revoked ones' dropped.
        ingestPolledNow(dropping: revoked)
        // librdkafka keeps a paused flag across revoke and re-assignment: clear ours first.
        let wasPaused = state.withLock { state in
            let paused = state.paused.intersection(revoked)
            state.paused.subtract(paused)
            return paused
        }
        if !wasPaused.isEmpty { try? consumer.resume(Array(wasPaused)) }
        telemetry.rebalance(lost ? "lost" : "revoked")
        if lost {
            logger.warning(
                "partitions lost (session timeout): dropping their state without committing",
                metadata: ["kafka.partitions": "\(partitions.sorted())"])
        } else {
            flushBatches(.all)
            let timeout = configuration.kafka.revokeDrainTimeoutMilliseconds
            let drained = signal.wait(untilMonotonicMilliseconds: MonotonicClock.milliseconds() + Int64(timeout)) {
                state.withLock { state in
                    revoked.allSatisfy { (state.partitions[$0]?.frontier.pendingCount ?? 0) == 0 }
                }
            }
            // What to store now (frontiers past their stored offset), and how far each revoked
            // partition is settled (that, or what was stored before).
            let (offsets, settled): ([TopicPartition: Int64], [TopicPartition: Int64]) = state.withLock { state in
                var offsets: [TopicPartition: Int64] = [:]
                var settled: [TopicPartition: Int64] = [:]
                for partition in revoked {
                    let stored = state.stored[partition]
                    if let offset = state.partitions[partition]?.frontier.committableOffset, offset > stored ?? -1 {
                        offsets[partition] = offset
                    }
                    settled[partition] = offsets[partition] ?? stored
                }
                return (offsets, settled)
            }
            store(offsets)
            // Commit now, before librdkafka unassigns and rejoins: its own commit on unassign
            // races the rejoin, and a coordinator that already counts the group as rebalancing
            // refuses it, so the next owner would repeat delivered work. If this fails (eager
            // rebalances on librdkafka's mock refuse it too), the commit on unassign still runs,
            // and this member remembers what it settled in case the partitions come back to it.
            do {
                try consumer.commitStored(timeoutMilliseconds: Self.revokeCommitTimeoutMilliseconds)
                state.withLock { state in
                    for partition in revoked { state.settledUncommitted[partition] = nil }
                }
            } catch {
                telemetry.revokeCommitFailed()
                state.withLock { state in state.settledUncommitted.merge(settled) { max($0, $1) } }
                logger.warning(
                    "offset commit on revoke failed; another owner may repeat delivered events (this member resumes past them if they come back)",
                    metadata: ["kafka.error": "\(error)"])
            }
            logger.info(
                drained ? "partitions revoked after draining" : "partitions revoked; drain timed out, unsettled events will be redelivered",
                metadata: ["kafka.partitions": "\(partitions.sorted())"])
        }
        state.withLock { state in
            for partition in revoked {
                state.partitions[partition] = nil
                state.stored[partition] = nil
                state.dirty.remove(partition)
                state.held[partition] = nil
            }
        }
        for partition in revoked { telemetry.forget(partition) }
    }

    // MARK: - Delivery

    private func deliveryLoop(_ index: Int) async {
        let limit = configuration.delivery.maximumConcurrentRequests
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await batch in queues[index].stream {
                if running >= limit {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.deliver(batch, to: index, fromQueue: true) }
                running += 1
            }
            await group.waitForAll()
        }
    }

    /// Delivers one batch. `fromQueue`: the batch came from the lane's queue (not a half of a
    /// batch being split), so it counts in ``EngineState/unsentBatches`` until its first request
    /// goes out.
    private func deliver(_ entries: [PendingDelivery], to index: Int, fromQueue: Bool = false) async {
        let lane = lanes[index]
        let destination = lane.destination
        var attempt = 0
        var refreshCredentials = false
        var credentialsRefreshed = false
        var unsent = fromQueue
        defer { if unsent { state.withLock { $0.unsentBatches[index] -= 1 } } }
        let firstAttempt = MonotonicClock.milliseconds()
        while !Task.isCancelled {
            let wait = state.withLock { $0.rateLimits[index]?.reserve(now: MonotonicClock.milliseconds()) ?? 0 }
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(wait)) } catch { return }
            }
            if unsent {
                unsent = false
                state.withLock { $0.unsentBatches[index] -= 1 }
            }
            var request = destination.makeRequest(entries.map(\.payload))
            // What the request body holds beyond the payloads already charged (its head and
            // tail: it references the payloads, see HTTPBody) counts against the budget while the
            // request is in flight.
            let bodyBytes = request.content.ownedByteCount
            state.withLock { $0.inFlightBytes += bodyBytes }
            defer { state.withLock { $0.inFlightBytes -= bodyBytes } }
            let outcome: DeliveryOutcome
            do {
                try await destination.authorize(&request, forceRefresh: refreshCredentials)
                refreshCredentials = false
                telemetry.requestSent(lane.label, events: entries.count)
                let started = ContinuousClock.now
                let response = try await http.execute(request)
                telemetry.requestFinished(lane.label, duration: ContinuousClock.now - started)
                outcome = destination.classify(response, eventCount: entries.count)
            } catch let error as CredentialError {
                outcome = .retryable(reason: "credentials: \(error.description)", retryAfterSeconds: nil)
            } catch {
                outcome = .retryable(reason: "\(error)", retryAfterSeconds: nil)
            }
            recordOutcome(outcome, lane: index)
            var metadata: Logger.Metadata = [
                "destination": "\(lane.label.platform)", "store": "\(lane.label.store)", "events": "\(entries.count)",
            ]
            switch outcome {
            case .delivered:
                telemetry.delivered(lane.label, events: entries.count)
                settle(entries, lane: index)
                return
            case .unauthorized(let reason):
                if !credentialsRefreshed {
                    // One refresh and an immediate resend; a second 401 means the credentials are wrong.
                    credentialsRefreshed = true
                    refreshCredentials = true
                    continue
                }
                metadata["reason"] = "\(reason)"
                logger.warning("credentials refused after a refresh, handing events to the retry topic", metadata: metadata)
                telemetry.rejected(lane.label, errorClass: "auth", events: entries.count)
                handToRetryTopic(entries, lane: index, errorClass: "auth", reason: reason)
                return
            case .partial(let rejected):
                let accepted = entries.enumerated().filter { rejected[$0.offset] == nil }.map(\.element)
                telemetry.delivered(lane.label, events: accepted.count)
                settle(accepted, lane: index)
                for (offset, reason) in rejected.sorted(by: { $0.key < $1.key }) where offset < entries.count {
                    let entry = entries[offset]
                    logger.warning(
                        "destination rejected one event, handing it to the retry topic",
                        metadata: metadata.merging(
                            ["order_id": "\(entry.orderID)", "event_id": "\(entry.eventID)", "reason": "\(reason)"]) { $1 })
                    telemetry.rejected(lane.label, errorClass: "rejected", events: 1)
                    handToRetryTopic([entry], lane: index, errorClass: "rejected", reason: reason)
                }
                return
            case .retryable(let reason, let retryAfter):
                attempt += 1
                metadata["reason"] = "\(reason)"
                let delay = backoff.delayMilliseconds(attempt: attempt, retryAfterSeconds: retryAfter)
                let overdue =
                    MonotonicClock.milliseconds() + Int64(delay) - firstAttempt
                    > Int64(configuration.delivery.handoffAfterMilliseconds)
                guard attempt < configuration.delivery.maximumAttempts, !overdue else {
                    logger.warning(
                        overdue ? "destination failing for too long, handing events to the retry topic"
                            : "retries exhausted, handing events to the retry topic",
                        metadata: metadata)
                    handToRetryTopic(entries, lane: index, errorClass: "retries_exhausted", reason: reason)
                    return
                }
                telemetry.retried(lane.label)
                metadata["attempt"] = "\(attempt)"
                metadata["delay_ms"] = "\(delay)"
                logger.info("delivery will be retried", metadata: metadata)
                do { try await Task.sleep(for: .milliseconds(delay)) } catch { return }
            case .rejected(let errorClass, let reason, let isolatable):
                if isolatable, entries.count > 1 {
                    // One bad event fails the whole request: split to find it, deliver the rest.
                    let middle = entries.count / 2
                    await deliver(Array(entries[..<middle]), to: index)
                    await deliver(Array(entries[middle...]), to: index)
                    return
                }
                metadata["error.class"] = "\(errorClass)"
                metadata["reason"] = "\(reason)"
                if entries.count == 1 {
                    metadata["order_id"] = "\(entries[0].orderID)"
                    metadata["event_id"] = "\(entries[0].eventID)"
                }
                logger.warning("destination rejected events, handing them to the retry topic", metadata: metadata)
                telemetry.rejected(lane.label, errorClass: errorClass, events: entries.count)
                handToRetryTopic(entries, lane: index, errorClass: errorClass, reason: reason)
                return
            }
        }
    }

    /// Tracks consecutive failures per lane for readiness. A bisected rejection is not a failure of
    /// the destination (it answered), nor is a per-event partial result.
    private func recordOutcome(_ outcome: DeliveryOutcome, lane: Int) {
        let failed: Bool
        switch outcome {
        case .delivered, .partial, .rejected(_, _, true): failed = false
        case .retryable, .unauthorized, .rejected: failed = true
        }
        state.withLock { $0.consecutiveFailures[lane] = failed ? $0.consecutiveFailures[lane] + 1 : 0 }
    }

    /// Writes each event to the retry topic for this one destination, due after the next delay; or,
    /// when its attempts or the retry horizon are used up, to the dead-letter topic with its full
    /// history. Each is settled when the write is acknowledged.
    private func handToRetryTopic(_ entries: [PendingDelivery], lane index: Int, errorClass: String, reason: String) {
        let label = lanes[index].label
        let retry = configuration.retry
        let now = MonotonicClock.epochMilliseconds()
        for entry in entries {
            let attempt = (entry.previous?.attempt ?? 0) + 1
            let notBefore = now + retry.delayMilliseconds(beforeAttempt: attempt + 1)
            let expired =
                attempt >= retry.maximumAttempts
                || notBefore - entry.source.firstSeenMilliseconds > Int64(retry.horizonSeconds) * 1000
            let envelope =
                entry.previous?.next(errorClass: errorClass, reason: reason, destination: label.platform, notBeforeMilliseconds: expired ? nil : notBefore)
                ?? RetryEnvelope(
                    origin: entry.position, errorClass: errorClass, reason: reason, destination: label.platform,
                    firstSeenMilliseconds: entry.source.firstSeenMilliseconds, notBeforeMilliseconds: expired ? nil : notBefore)
            let topic = expired ? configuration.kafka.effectiveDeadLetterTopic : configuration.kafka.effectiveRetryTopic
            if expired {
                logger.warning(
                    "giving up on an event for one destination: written to the dead-letter topic",
                    metadata: [
                        "destination": "\(label.platform)", "order_id": "\(entry.orderID)", "event_id": "\(entry.eventID)",
                        "attempts": "\(envelope.attempt)", "error.class": "\(errorClass)",
                    ])
            }
            writeUntilAcknowledged(topic: topic, source: entry.source, envelope: envelope) { [self] in
                if expired { telemetry.deadLettered(label) } else { telemetry.handedToRetryTopic(label) }
                settle([entry], lane: index)
            }
        }
    }

    /// Produces the original record with the envelope's headers, retrying (with backoff) until the
    /// broker acknowledges it; only then `onAcknowledged` runs. Until then the source offset stays
    /// below the frontier, so a crash cannot lose the record.
    private func writeUntilAcknowledged(
        topic: String, source: SourceRecord, envelope: RetryEnvelope, attempt: Int = 1,
        onAcknowledged: @escaping @Sendable () -> Void
    ) {
        producer.send(topic: topic, key: source.key, value: source.value, headers: envelope.headers) { [self] result in
            switch result {
            case .success:
                onAcknowledged()
            case .failure(let error) where error.rdKafkaCode == KafkaError.RDKafkaCode.messageSizeTooLarge && !source.value.isEmpty:
                // Larger than the producer may write: park a pointer instead (headers, no value).
                // The original stays in the source topic at the envelope's origin.
                var pointer = envelope
                pointer.valueOmittedBytes = source.value.count
                var empty = source
                empty.value = []
                logger.warning(
                    "record too large to copy to \(topic); writing its headers and origin only",
                    metadata: ["kafka.partition": "\(envelope.origin.topicPartition)", "kafka.offset": "\(envelope.origin.offset)", "bytes": "\(source.value.count)"])
                writeUntilAcknowledged(topic: topic, source: empty, envelope: pointer, attempt: attempt, onAcknowledged: onAcknowledged)
            case .failure(let error):
                guard !shutdownRequested.load(ordering: .acquiring) || attempt < 3 else {
                    logger.error("write to \(topic) failed during shutdown; the record will be re-consumed", metadata: ["kafka.error": "\(error)"])
                    return
                }
                let delay = backoff.delayMilliseconds(attempt: attempt, retryAfterSeconds: nil)
                logger.warning(
                    "write to \(topic) failed, retrying",
                    metadata: ["kafka.error": "\(error)", "attempt": "\(attempt)", "delay_ms": "\(delay)"])
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) {
                    self.writeUntilAcknowledged(
                        topic: topic, source: source, envelope: envelope, attempt: attempt + 1, onAcknowledged: onAcknowledged)
                }
            }
        }
    }

    /// Settles events of one lane: acknowledged by the destination or durably handed on.
    private func settle(_ entries: [PendingDelivery], lane: Int) {
        let bytes = entries.reduce(0) { $0 + $1.chargedBytes }
        state.withLock { state in
            var cursor = SettlementCursor()
            // Read in place: `for entry in entries` copied each entry (retaining its record and
            // payload) and its position (retaining the topic); settle was 5.5 % of the relay's
            // `perf` samples, 3.7 % reading in place.
            entries.withUnsafeBufferPointer { entries in
                for index in entries.indices {
                    cursor.settle(entries[index].record.position, generation: entries[index].record.generation, in: &state)
                }
            }
            state.inFlight[lane] -= entries.count
            state.inFlightBytes -= bytes
        }
        signal.broadcast()
    }

    private func settle(_ positions: [(RecordPosition, UInt64)], lane: Int?, bytes: Int = 0) {
        state.withLock { state in
            var cursor = SettlementCursor()
            for (position, generation) in positions { cursor.settle(position, generation: generation, in: &state) }
            if let lane { state.inFlight[lane] -= positions.count }
            state.inFlightBytes -= bytes
        }
        signal.broadcast()
    }

    /// Settles offsets in the frontiers, looking each partition up once per run of entries of that
    /// partition (a batch holds long runs) rather than hashing it twice per entry.
    private struct SettlementCursor {
        private var last: (topicPartition: TopicPartition, index: Dictionary<TopicPartition, PartitionState>.Index)?

        /// Records one settlement; ignored when the partition was reassigned since (another generation).
        mutating func settle(_ position: borrowing RecordPosition, generation: UInt64, in state: inout EngineState) {
            let index: Dictionary<TopicPartition, PartitionState>.Index
            if let last, last.topicPartition == position.topicPartition {
                index = last.index
            } else {
                guard let found = state.partitions.index(forKey: position.topicPartition) else {
                    last = nil
                    return
                }
                index = found
                last = (position.topicPartition, found)
            }
            guard state.partitions.values[index].generation == generation else { return }
            if state.partitions.values[index].frontier.settle(offset: position.offset) {
                state.dirty.insert(position.topicPartition)
            }
        }
    }

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
