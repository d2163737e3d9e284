import Logging
import RelayCore
import RelayDestinations
import RelayEngineCore
import RelayKafka
import Synchronization

// Admitting one prepared record (poll thread): tracked in its partition's frontier, then batched
// per lane, or routed straight to the retry or dead-letter topic.
extension RelayEngine {
    func admit(_ record: KafkaRecord, _ prepared: PreparedRecord, tally: inout IngestTally) {
        let position = record.position
        let topicPartition = position.topicPartition
        let previous = prepared.previous
        let nowEpoch = MonotonicClock.epochMilliseconds()
        enum Gate { case unassigned, admit(UInt64), drop, hold }
        let gate: Gate = state.withLock { state in
            guard let generation = state.ledger.generation(of: topicPartition) else { return .unassigned }
            guard let previous else { return .admit(generation) }
            switch state.retryHold.admit(position, notBefore: previous.notBeforeMilliseconds, now: nowEpoch) {
            case .process: return .admit(generation)
            case .drop: return .drop  // fetched before the pause took effect; re-read after the seek
            case .hold: return .hold
            }
        }
        let generation: UInt64
        switch gate {
        case .unassigned:
            logger.debug("record for a partition not assigned here, skipped", metadata: ["kafka.partition": "\(topicPartition)"])
            return
        case .drop:
            return
        case .hold:
            // Not due: pause the partition (the poll loop keeps running) and read this record
            // again when it is; nothing after it is processed meanwhile.
            applyBackpressure()
            return
        case .admit(let owned):
            generation = owned
        }
        let source = SourceRecord(
            key: record.key, value: record.value, firstSeenMilliseconds: previous?.firstSeenMilliseconds ?? nowEpoch)
        /// Settles the record once one durable write of it is acknowledged.
        let settleOnce: @Sendable () -> Void = { [self] in settle([(position, generation)], lane: nil) }
        switch prepared.outcome {
        case .malformed(let error):
            state.withLock { $0.ledger.track(position, settlements: 1) }
            if let previous {
                // Still not decodable: retrying cannot help, straight to the dead-letter topic.
                let envelope = previous.next(
                    errorClass: error.kind.rawValue, reason: error.description, destination: nil, notBeforeMilliseconds: nil)
                writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope, onAcknowledged: settleOnce)
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
                notBeforeMilliseconds: nowEpoch + configuration.retry.delayMilliseconds(beforeAttempt: 2))
            writeUntilAcknowledged(topic: configuration.kafka.effectiveRetryTopic, source: source, envelope: envelope) { [self] in
                telemetry.poisonWrittenToRetryTopic()
                settleOnce()
            }
        case .unknownStore(let orderID, let eventID, let storeID):
            tally.valid += 1
            state.withLock { $0.ledger.track(position, settlements: 1) }
            logger.warning(
                "event for an unknown store written to the dead-letter topic",
                metadata: ["order_id": "\(orderID)", "event_id": "\(eventID)", "store_id": "\(storeID ?? "")"])
            let envelope = RetryEnvelope(
                origin: position, errorClass: "unknown_store", reason: "store_id has no configured destinations",
                firstSeenMilliseconds: source.firstSeenMilliseconds)
            writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope, onAcknowledged: settleOnce)
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
                state.ledger.track(position, settlements: sends.count + deadLetters.count)
                var ready: [(Int, [PendingDelivery])] = []
                let sourceShare = (source.value.count + (source.key?.count ?? 0)) / max(sends.count, 1)
                let record = AdmittedRecord(
                    position: position, generation: generation, eventID: eventID, orderID: orderID, source: source,
                    previous: previous)
                for send in sends {
                    let charged = send.payload.count + sourceShare + Self.bookkeepingBytesPerEntry
                    state.inFlightBytes += charged
                    let pending = PendingDelivery(record: record, payload: send.payload, chargedBytes: charged)
                    if let closed = state.batcher.admit(pending, lane: send.lane, bytes: send.payload.count, now: now) {
                        ready.append((send.lane, closed))
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
                writeUntilAcknowledged(topic: configuration.kafka.effectiveDeadLetterTopic, source: source, envelope: envelope) { [self] in
                    telemetry.deadLettered(label)
                    settleOnce()
                }
            }
        }
    }
}
