import Dispatch
import Logging
import RelayCore
import RelayDestinations
import RelayEngineCore
import RelayKafka
import Synchronization

// Hand-offs to the retry and dead-letter topics (``DurableWriter``): an event counts as settled
// only once its write is acknowledged.
extension RelayEngine {
    /// Writes each event to the retry topic for this one destination, due after the next delay; or,
    /// when its attempts or the retry horizon are used up, to the dead-letter topic with its full
    /// history. Each is settled when the write is acknowledged.
    func handToRetryTopic(_ entries: [PendingDelivery], lane index: Int, errorClass: String, reason: String) {
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
    /// below the frontier, so a crash cannot lose the record. During shutdown a failed write is
    /// tried at most three times, and never once ``run()`` closed the producer: the record stays
    /// uncommitted and is read again after a restart.
    func writeUntilAcknowledged(
        topic: String, source: SourceRecord, envelope: RetryEnvelope, attempt: Int = 1,
        onAcknowledged: @escaping @Sendable () -> Void
    ) {
        producer.send(topic: topic, partition: nil, key: source.key, value: source.value, headers: envelope.headers) { [self] result in
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
                guard mayRetryWrite(attempt: attempt) else {
                    logger.error("write to \(topic) failed during shutdown; the record will be re-consumed", metadata: ["kafka.error": "\(error)"])
                    return
                }
                var random = SystemRandomNumberGenerator()
                let delay = deliveryPolicy.backoff.delayMilliseconds(attempt: attempt, retryAfterSeconds: nil, using: &random)
                logger.warning(
                    "write to \(topic) failed, retrying",
                    metadata: ["kafka.error": "\(error)", "attempt": "\(attempt)", "delay_ms": "\(delay)"])
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(delay)) { [self] in
                    // Checked again: the producer may have closed while this retry waited.
                    guard mayRetryWrite(attempt: attempt) else { return }
                    writeUntilAcknowledged(topic: topic, source: source, envelope: envelope, attempt: attempt + 1, onAcknowledged: onAcknowledged)
                }
            }
        }
    }

    /// Whether a failed write may be tried again: never after the producer closed; during
    /// shutdown, for the first attempts only.
    func mayRetryWrite(attempt: Int) -> Bool {
        guard !producerClosed.load(ordering: .acquiring) else { return false }
        return !shutdownRequested.load(ordering: .acquiring) || attempt < 3
    }
}
