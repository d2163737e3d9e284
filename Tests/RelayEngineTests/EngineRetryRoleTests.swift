import Foundation
import RelayCore
import RelayKafka
import RelayService
import Testing

/// The retry role (``RelayEngine/Role/retry``) against in-memory boundaries: records of the
/// retry topic wait for their not-before time (the partition paused, then sought back to the
/// held record), go only to the destination their envelope names, and go to the dead-letter
/// topic with their history once their attempts are used up.
@Suite(.timeLimit(.minutes(1))) struct EngineRetryRoleTests {
    static func envelope(
        destination: String, attempt: Int = 1, notBefore: Int64, reason: String = "HTTP 503"
    ) -> [(name: String, value: String)] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return RetryEnvelope(
            origin: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 3), offset: 17),
            errorClass: "retryable", reason: reason, destination: destination, attempt: attempt,
            firstSeenMilliseconds: now - 60_000, notBeforeMilliseconds: notBefore
        ).headers
    }

    /// The head record is due in 500 ms: its partition is paused, nothing behind it (though
    /// due) is sent meanwhile, and when it is due the partition is sought back to it and
    /// resumed. Both go to Meta only (their envelopes name it), none to Pinterest.
    @Test func aRetriedRecordWaitsForItsNotBeforeTimeThenGoesOnlyToItsDestination() async throws {
        let harness = EngineHarness(configuration: EngineHarness.configuration(pinterest: true), role: .retry)
        let zero = harness.partition(0)
        harness.start()
        let polling = await eventually { harness.source.assignment == [zero] && harness.source.polls > 1 }
        #expect(polling)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let notBefore = now + 500
        let head = harness.source.append([Orders.valid("ORD-0-0")], to: zero, headers: Self.envelope(destination: "meta", notBefore: notBefore))
        harness.source.append([Orders.valid("ORD-0-1")], to: zero, headers: Self.envelope(destination: "meta", notBefore: now - 1_000))
        let committed = await eventually { harness.source.committedOffset(zero) == 2 }
        try await harness.stop()
        #expect(committed)
        let requests = harness.http.requests("meta")
        #expect(Set(requests.flatMap(\.orderIDs)) == ["ORD-0-0", "ORD-0-1"])
        #expect(requests.allSatisfy { $0.receivedAtEpochMilliseconds >= notBefore }, "sent before the head record was due")
        #expect(harness.http.requests("pinterest").isEmpty)
        // Read before it was due (unless the machine stalled for half a second): held, then read again.
        let fetched = harness.source.fetchTimes(RecordPosition(topicPartition: zero, offset: head.lowerBound))
        if let first = fetched.first, first < notBefore {
            #expect(harness.source.pauseCalls.contains([zero]))
            #expect(harness.source.resumeCalls.contains([zero]))
            #expect(fetched.count >= 2 && fetched.last! >= notBefore, "sought back to the held record once due: \(fetched)")
        }
    }

    /// A record on its last attempt that Meta rejects again goes to the dead-letter topic, its
    /// envelope one attempt further with the previous failure in its history, and commits.
    @Test func aRecordOutOfAttemptsGoesToTheDeadLetterTopicWithItsHistory() async throws {
        let http = ScriptedHTTPExecutor { _ in Answer.metaInvalidParameter }
        let harness = EngineHarness(http: http, role: .retry)
        let zero = harness.partition(0)
        let last = harness.configuration.retry.maximumAttempts - 1
        let value = Orders.valid("ORD-0-0")
        harness.source.append([value], to: zero, headers: Self.envelope(destination: "meta", attempt: last, notBefore: 0))
        harness.start()
        let committed = await eventually { harness.source.committedOffset(zero) == 1 }
        try await harness.stop()
        #expect(committed)
        #expect(harness.writer.written(to: EngineHarness.retryTopic).count == 0)
        let dead = harness.writer.written(to: EngineHarness.deadLetterTopic)
        #expect(dead.map(\.value) == [value])
        let envelope = try #require(dead.first.flatMap { RetryEnvelope(headers: $0.headers) })
        #expect(envelope.attempt == last + 1)
        #expect(envelope.destination == "meta")
        #expect(envelope.errorClass == "invalid_event")
        #expect(envelope.notBeforeMilliseconds == nil)
        #expect(envelope.origin.offset == 17, "the origin in the orders topic, unchanged")
        #expect(envelope.history?.contains("\(last)|retryable|HTTP 503") == true, "\(String(describing: envelope.history))")
    }
}
