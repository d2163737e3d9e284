import Logging
import RelayCore
import RelayDestinations
import RelayEngineCore
import RelayKafka
import Synchronization

// Admitting a prepared chunk (poll thread): each record tracked in its partition's frontier, then
// batched per lane, or routed straight to the retry or dead-letter topic.
extension RelayEngine {
    /// What admitting a record leaves to do once the lock is released: logging and durable writes
    /// (rare: unassigned partitions, malformed records, unknown stores, dead-lettered exclusions).
    enum AdmissionFollowUp {
        case unassigned(TopicPartition)
        case malformed(OrderEventDecodingError, position: RecordPosition, generation: UInt64, source: SourceRecord, previous: RetryEnvelope?)
        case unknownStore(orderID: String, eventID: String, storeID: String?, position: RecordPosition, generation: UInt64, source: SourceRecord)
        case deadLetters(
            [(lane: Int, exclusion: Exclusion)], orderID: String, eventID: String, position: RecordPosition, generation: UInt64,
            source: SourceRecord, previous: RetryEnvelope?)
    }

    /// Admits `records` (prepared as `prepared`, same order) in polled order under one lock, with
    /// one reading of each clock for the chunk: every record's decisions (ownership, the retry
    /// hold, frontier tracking, batching) are made in the order one record at a time would make
    /// them, then the closed batches go to their delivery loops and the rare writes start. Why
    /// per chunk and not per record: benchmarks/HISTORY.md, "the engine's share, split by build".
    ///
    /// Both arrays are consumed: each record's bytes, strings and payloads move into its batch
    /// entries instead of being retained there and released again with the arrays.
    /// Returns whether admitting the chunk took the relay to a high watermark while consumption
    /// is not held yet (the poll loop then applies backpressure at once, not at its next turn of
    /// housekeeping).
    @discardableResult
    func admit(_ records: consuming [KafkaRecord], _ prepared: consuming [PreparedRecord], tally: inout IngestTally) -> Bool {
        let nowEpoch = MonotonicClock.epochMilliseconds()
        let now = MonotonicClock.milliseconds()
        var ready: [(lane: Int, batch: DeliveryBatch)] = []
        var followUps: [AdmissionFollowUp] = []
        var held = false
        var reachedWatermark = false
        state.withLock { state in
            var cursor = SettlementLedger.Cursor()
            for index in records.indices {
                let position = records[index].position
                guard let generation = state.ledger.generation(of: position.topicPartition, cursor: &cursor) else {
                    followUps.append(.unassigned(position.topicPartition))
                    continue
                }
                // The envelope stays boxed (see ``RetryEnvelopeBox``); read where it is needed.
                let previousBox = prepared[index].previousBox
                if let previous = previousBox?.envelope {
                    switch state.retryHold.admit(position, notBefore: previous.notBeforeMilliseconds, now: nowEpoch) {
                    case .process: break
                    case .drop: continue  // fetched before the pause took effect; re-read after the seek
                    case .hold:
                        // Not due: the partition is paused once the chunk is admitted (the poll loop
                        // keeps running) and this record read again when it is; nothing after it in
                        // its partition is processed meanwhile (the hold drops it).
                        held = true
                        continue
                    }
                }
                var key: [UInt8]? = nil
                var value: [UInt8] = []
                swap(&key, &records[index].key)
                swap(&value, &records[index].value)
                let source = SourceRecord(
                    key: consume key, value: consume value, firstSeenMilliseconds: previousBox?.envelope.firstSeenMilliseconds ?? nowEpoch)
                var outcome = PreparedRecord.Outcome.unknownStore(orderID: "", eventID: "", storeID: nil)
                swap(&outcome, &prepared[index].outcome)
                switch consume outcome {
                case .malformed(let error):
                    state.ledger.track(position, settlements: 1, cursor: &cursor)
                    followUps.append(
                        .malformed(error, position: position, generation: generation, source: source, previous: previousBox?.envelope))
                case .unknownStore(let orderID, let eventID, let storeID):
                    tally.valid += 1
                    state.ledger.track(position, settlements: 1, cursor: &cursor)
                    followUps.append(
                        .unknownStore(orderID: orderID, eventID: eventID, storeID: storeID, position: position, generation: generation, source: source))
                case .encoded(let orderID, let eventID, var sends, let exclusions, let sourceBytes):
                    tally.valid += 1
                    var deadLetters = 0
                    for (lane, exclusion) in exclusions {
                        tally.countExcluded(lane: lane, reason: exclusion.reason)
                        if exclusion.deadLetter { deadLetters += 1 }
                    }
                    state.ledger.track(position, settlements: sends.count + deadLetters, cursor: &cursor)
                    let sourceShare = sourceBytes / max(sends.count, 1)
                    // The source moves into the record (read back from it for a dead letter), not
                    // copied: a copy retained its key and value here and released them again.
                    let record = AdmittedRecord(
                        position: position, generation: generation, eventID: eventID, orderID: orderID, source: consume source,
                        previous: previousBox)
                    // Each send moves out of the record's sends into its lane's batch (its lanes are
                    // distinct, so the order they are taken in does not matter): a copy would retain
                    // its payload's block here and release it again with the record.
                    while let send = sends.popLast() {
                        // Taken apart, not read field by field: the payload moves on into the
                        // batch instead of being copied there (a retain of its block, which the
                        // preparing and delivering threads count too, and a release with `send`).
                        let (lane, payload, coverage) = send.parts()
                        tally.countEncoded(lane: lane, coverage: coverage)
                        let bytes = payload.count
                        let charged = bytes + sourceShare + Self.bookkeepingBytesPerEntry
                        state.inFlightBytes += charged
                        let pending = PendingDelivery(record: record, chargedBytes: charged)
                        if let closed = state.batcher.admit(consume pending, payload: consume payload, lane: lane, bytes: bytes, now: now) {
                            ready.append((lane, DeliveryBatch(entries: closed.elements, payloads: closed.payloads)))
                        }
                    }
                    if deadLetters > 0 {
                        followUps.append(
                            .deadLetters(
                                exclusions.filter(\.exclusion.deadLetter), orderID: orderID, eventID: eventID, position: position,
                                generation: generation, source: record.source, previous: record.previous))
                    }
                }
            }
            reachedWatermark = state.backpressure.wouldStartHold(busiestLane: state.batcher.busiestLane, bytes: state.inFlightBytes)
        }
        for (lane, batch) in ready { queues[lane].continuation.yield(batch) }
        // A held retry-topic partition: pause it now (``applyBackpressure()`` reconciles the pauses).
        if held { applyBackpressure() }
        for followUp in followUps { perform(followUp, now: nowEpoch) }
        return reachedWatermark
    }

    /// Logs and starts the durable writes one admitted record needs (see ``AdmissionFollowUp``).
    private func perform(_ followUp: AdmissionFollowUp, now nowEpoch: Int64) {
        switch followUp {
        case .unassigned(let topicPartition):
            logger.debug("record for a partition not assigned here, skipped", metadata: ["kafka.partition": "\(topicPartition)"])
        case .malformed(let error, let position, let generation, let source, let previous):
            /// Settles the record once one durable write of it is acknowledged.
            let settleOnce: @Sendable () -> Void = { [self] in settle([(position, generation)], lane: nil) }
            if let previous {
                // Still not decodable: retrying cannot help, straight to the dead-letter topic.
                let envelope = previous.next(
                    errorClass: error.kind.rawValue, reason: error.description, destination: nil, notBeforeMilliseconds: nil)
                writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope, onAcknowledged: settleOnce)
                return
            }
            telemetry.consumed(valid: false)
            telemetry.poison(errorClass: error.kind.rawValue)
            let now = MonotonicClock.milliseconds()
            if case .log(let suppressed) = poisonLogSampler.withLock({ $0.decide(now: now) }) {
                var metadata: Logger.Metadata = [
                    "kafka.partition": "\(position.topicPartition)", "kafka.offset": "\(position.offset)",
                    "error.class": "\(error.kind.rawValue)", "error.reason": "\(error.description)",
                ]
                // Alike warnings left out by the sampler since the last one written (their
                // records' reasons are in their retry-topic envelopes).
                if suppressed > 0 { metadata["log.suppressed"] = "\(suppressed)" }
                logger.warning("poison record routed to the retry topic", metadata: metadata)
            }
            let envelope = RetryEnvelope(
                origin: position, errorClass: error.kind.rawValue, reason: error.description,
                firstSeenMilliseconds: source.firstSeenMilliseconds,
                notBeforeMilliseconds: nowEpoch + configuration.retry.delayMilliseconds(beforeAttempt: 2))
            writeUntilAcknowledged(topic: configuration.kafka.effectiveRetryTopic, source: source, envelope: envelope) { [self] in
                telemetry.poisonWrittenToRetryTopic()
                settleOnce()
            }
        case .unknownStore(let orderID, let eventID, let storeID, let position, let generation, let source):
            logger.warning(
                "event for an unknown store written to the dead-letter topic",
                metadata: ["order_id": "\(orderID)", "event_id": "\(eventID)", "store_id": "\(storeID ?? "")"])
            let envelope = RetryEnvelope(
                origin: position, errorClass: "unknown_store", reason: "store_id has no configured destinations",
                firstSeenMilliseconds: source.firstSeenMilliseconds)
            writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope) { [self] in
                settle([(position, generation)], lane: nil)
            }
        case .deadLetters(let deadLetters, let orderID, let eventID, let position, let generation, let source, let previous):
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
                writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope) { [self] in
                    telemetry.deadLettered(label)
                    settle([(position, generation)], lane: nil)
                }
            }
        }
    }
}
