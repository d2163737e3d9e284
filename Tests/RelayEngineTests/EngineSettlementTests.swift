import Foundation
import RelayCore
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelayService
import Synchronization
import Testing

/// What the engine settles and commits, against in-memory boundaries: each destination's answers
/// (accepted, 5xx, 429 with Retry-After, 400 for one event, partial failures, 401) and the
/// retry-topic hand-offs, judged by the offsets committed and the records written.
@Suite(.timeLimit(.minutes(1))) struct EngineSettlementTests {
    /// Every destination accepts everything: both partitions are committed to their end, each
    /// platform received each order, nothing was handed on.
    @Test func everythingSettledIsCommittedToTheEnd() async throws {
        let harness = EngineHarness(partitions: 2, configuration: EngineHarness.configuration(pinterest: true))
        let ids = harness.publish(23, to: 0) + harness.publish(17, to: 1)
        harness.start()
        let committed = await eventually {
            harness.source.committedOffset(harness.partition(0)) == 23 && harness.source.committedOffset(harness.partition(1)) == 17
        }
        try await harness.stop()
        #expect(committed)
        #expect(harness.requestedOrderIDs("meta") == Set(ids))
        #expect(harness.requestedOrderIDs("pinterest") == Set(ids))
        #expect(harness.writer.written.count == 0)
        #expect(harness.engine.statistics.delivered == ["meta": 40, "pinterest": 40])
    }

    /// One destination answers 5xx for the second batch: the commit stops at that batch's first
    /// offset while the other destination settles everything, stays there while it keeps failing,
    /// and reaches the end once it recovers (no hand-off: the outage is shorter than it).
    @Test func aFailingDestinationHoldsTheFrontierAtItsFirstUnsettledOffset() async throws {
        let failing = Mutex(true)
        let failed = Mutex<[Int]>([])  // request numbers answered 503
        let late = Set((5..<10).map { "ORD-0-\($0)" })
        let http = ScriptedHTTPExecutor { request in
            if request.platform == "pinterest", !late.isDisjoint(with: request.orderIDs), failing.withLock({ $0 }) {
                failed.withLock { $0.append(request.number) }
                return Answer.unavailable
            }
            return Answer.accepted(request)
        }
        let harness = EngineHarness(configuration: EngineHarness.configuration(pinterest: true), http: http)
        let partition = harness.partition(0)
        harness.publish(10)
        harness.start()
        // The first unsettled offset: the lowest of the orders in a refused request.
        let held = await eventually {
            harness.source.committedOffset(partition) == 5 && harness.engine.statistics.delivered["meta"] == 10
        }
        #expect(held, "committed \(String(describing: harness.source.committedOffset(partition)))")
        let failuresSoFar = failed.withLock { $0.count }
        let keptFailing = await eventually { failed.withLock { $0.count } >= failuresSoFar + 3 }
        #expect(keptFailing)
        #expect(harness.source.committedOffset(partition) == 5, "the frontier passed events Pinterest has not accepted")

        failing.withLock { $0 = false }
        let recovered = await eventually { harness.source.committedOffset(partition) == 10 }
        try await harness.stop()
        #expect(recovered)
        #expect(harness.writer.written.count == 0, "nothing handed off: retried until the destination recovered")
        #expect(harness.engine.statistics.delivered == ["meta": 10, "pinterest": 10])
    }

    /// A record that is not JSON and one that breaks the contract go to the retry topic as they
    /// were, with a reason that names the field and never its value; the partition's offset
    /// commits past them; the valid orders around them are delivered.
    @Test func malformedRecordsGoToTheRetryTopicWithTheirReasonAndTheirOffsetsCommit() async throws {
        let harness = EngineHarness()
        let partition = harness.partition(0)
        let schemaViolation = Array(
            #"{"schema_version":1,"event_type":"order.completed","order_id":"ORD-0-2","occurred_at":"SECRET-1990","currency":"EUR","value":1}"#
                .utf8)
        let notJSON = Array(#"{"order_id":"ORD-0-3","customer":{"email":"SECRET@example.com""#.utf8)
        harness.source.append([Orders.valid("ORD-0-0"), Orders.valid("ORD-0-1")], to: partition)
        harness.source.append([schemaViolation, notJSON], to: partition, key: Array("order-key".utf8))
        harness.source.append([Orders.valid("ORD-0-4")], to: partition)
        harness.start()
        let committed = await eventually { harness.source.committedOffset(partition) == 5 }
        try await harness.stop()
        #expect(committed)

        let written = harness.writer.written(to: EngineHarness.retryTopic)
        #expect(written.map(\.value) == [schemaViolation, notJSON], "the original bytes, in order")
        #expect(written.allSatisfy { $0.key == Array("order-key".utf8) }, "the original key")
        let envelopes = harness.retryEnvelopes
        #expect(envelopes.map(\.origin.offset) == [2, 3])
        #expect(envelopes.map(\.errorClass) == ["schema_violation", "malformed_json"])
        #expect(envelopes.allSatisfy { $0.destination == nil && $0.attempt == 1 && $0.notBeforeMilliseconds != nil })
        let reason = try #require(envelopes.first?.reason)
        #expect(reason.contains("occurred_at"), "the reason names the field: \(reason)")
        for text in envelopes.map(\.reason) + harness.logs.all.map({ "\($0.message) \($0.metadata)" }) {
            #expect(!text.contains("SECRET"), "a value leaked: \(text)")
        }
        #expect(harness.requestedOrderIDs("meta") == ["ORD-0-0", "ORD-0-1", "ORD-0-4"])
        #expect(harness.engine.statistics.poison == 2)
    }

    /// A retry-topic write that is not acknowledged holds the partition's commit just before its
    /// record, while the events after it are delivered; the engine writes again, and once the
    /// write is acknowledged the commit reaches the end.
    @Test func anUnacknowledgedRetryTopicWriteHoldsTheCommitUntilItIsWritten() async throws {
        let harness = EngineHarness()
        let partition = harness.partition(0)
        harness.writer.holdSends()
        harness.source.append([Orders.valid("ORD-0-0"), Orders.valid("ORD-0-1"), Array("not json".utf8)], to: partition)
        harness.publish(2, to: 0, first: 3)
        harness.start()
        let held = await eventually {
            harness.source.committedOffset(partition) == 2 && harness.engine.statistics.delivered["meta"] == 4 && harness.writer.heldCount == 1
        }
        #expect(held)
        // A witness: the poll loop turned (and stored what was settled) many times since.
        let polls = harness.source.polls
        let turned = await eventually { harness.source.polls >= polls + 20 }
        #expect(turned)
        #expect(harness.source.committedOffset(partition) == 2, "the commit passed a record not yet written")
        harness.writer.answerHeld(
            failing: KafkaError(code: .underlying, message: "Local: Message timed out", rdKafkaCode: KafkaError.RDKafkaCode.messageTimedOut))
        let committed = await eventually { harness.source.committedOffset(partition) == 5 }
        try await harness.stop()
        #expect(committed)
        #expect(harness.writer.sends == 2, "written again after the failure")
        #expect(harness.writer.written(to: EngineHarness.retryTopic).map(\.value) == [Array("not json".utf8)])
    }

    /// Events a destination must not receive: without marketing consent, sent nowhere and
    /// settled at once; too old for Meta (10 days, Meta takes 7) but not for Google, sent to
    /// Google and dead-lettered for Meta with the reason. The commit waits for that write.
    @Test func excludedEventsAreSettledOrDeadLetteredForTheirDestination() async throws {
        let harness = EngineHarness(configuration: EngineHarness.configuration(google: RefreshingTokenProvider()))
        let partition = harness.partition(0)
        harness.writer.holdSends()
        let tooOldForMeta = Orders.valid("ORD-0-2", secondsAgo: 10 * 86_400)
        harness.source.append(
            [
                Orders.valid("ORD-0-0"), Orders.valid("ORD-0-1", marketingConsent: false),
                tooOldForMeta, Orders.valid("ORD-0-3"),
            ], to: partition)
        harness.start()
        let delivered = await eventually {
            harness.engine.statistics.delivered == ["meta": 2, "google": 3] && harness.writer.heldCount == 1
        }
        #expect(delivered)
        let polls = harness.source.polls
        let turned = await eventually { harness.source.polls >= polls + 20 }
        #expect(turned)
        #expect((harness.source.committedOffset(partition) ?? 0) <= 2, "the commit passed an event not yet dead-lettered")
        harness.writer.answerHeld()
        let committed = await eventually { harness.source.committedOffset(partition) == 4 }
        try await harness.stop()
        #expect(committed)
        #expect(harness.requestedOrderIDs("meta") == ["ORD-0-0", "ORD-0-3"])
        #expect(harness.requestedOrderIDs("google") == ["ORD-0-0", "ORD-0-2", "ORD-0-3"])
        let deadRecords = harness.writer.written(to: EngineHarness.deadLetterTopic)
        #expect(deadRecords.map(\.value) == [tooOldForMeta], "the dead letter carries the record as it was read")
        let dead = deadRecords.compactMap { RetryEnvelope(headers: $0.headers) }
        #expect(dead.map(\.origin.offset) == [2])
        #expect(dead.first?.destination == "meta")
        #expect(dead.first?.errorClass == "too_old")
        #expect(harness.engine.statistics.excluded["meta"]?["no_consent"] == 1)
    }

    /// Meta refuses a whole request for one bad event (code 100): the batch is split until that
    /// event is alone, it goes to the retry topic for Meta, the others are accepted, and the
    /// partition commits to its end.
    @Test func oneEventRejectedWithA400GoesToTheRetryTopicAndTheOthersSettle() async throws {
        let http = ScriptedHTTPExecutor { request in
            request.carries("ORD-0-7") ? Answer.metaInvalidParameter : Answer.accepted(request)
        }
        let harness = EngineHarness(http: http)
        let ids = harness.publish(10)
        harness.start()
        let committed = await eventually { harness.source.committedOffset(harness.partition(0)) == 10 }
        try await harness.stop()
        #expect(committed)

        let accepted = harness.http.requests("meta").filter { !$0.carries("ORD-0-7") }.flatMap(\.orderIDs)
        #expect(Set(accepted) == Set(ids).subtracting(["ORD-0-7"]))
        #expect(harness.http.requests("meta").contains { $0.orderIDs == ["ORD-0-7"] }, "the bad event was isolated")
        let envelopes = harness.retryEnvelopes
        #expect(envelopes.count == 1)
        #expect(envelopes.first?.origin.offset == 7)
        #expect(envelopes.first?.destination == "meta")
        #expect(envelopes.first?.errorClass == "invalid_event")
        #expect(harness.engine.statistics.handedToRetryTopic == ["meta": 1])
    }

    /// Pinterest answers event by event: the one it failed goes to the retry topic with its
    /// reason, the others count as delivered and are never sent again.
    @Test func aPartialFailureHandsOnlyTheFailedEventOn() async throws {
        let http = ScriptedHTTPExecutor { Answer.accepted($0, pinterestFailing: ["ORD-0-3"]) }
        let harness = EngineHarness(configuration: EngineHarness.configuration(meta: false, pinterest: true), http: http)
        let ids = harness.publish(10)
        harness.start()
        let committed = await eventually { harness.source.committedOffset(harness.partition(0)) == 10 }
        try await harness.stop()
        #expect(committed)
        let sent = harness.http.requests("pinterest").flatMap(\.orderIDs)
        #expect(sent.sorted() == ids.sorted(), "each event sent once")
        let envelopes = harness.retryEnvelopes
        #expect(envelopes.map(\.origin.offset) == [3])
        #expect(envelopes.first?.destination == "pinterest")
        #expect(envelopes.first?.reason.contains("event_time") == true)
        #expect(harness.engine.statistics.delivered == ["pinterest": 9])
    }

    /// A 429 with `Retry-After: 0.3`: the batch is sent again no sooner than that, although the
    /// configured backoff is at most 20 ms without it.
    @Test func aThrottledRequestWaitsForRetryAfter() async throws {
        let throttled = Mutex(false)
        let http = ScriptedHTTPExecutor { request in
            let first = throttled.withLock { done in
                defer { done = true }
                return !done
            }
            return first ? Answer.metaThrottled(retryAfter: "0.3") : Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration()
        configuration.delivery.maximumBackoffMilliseconds = 2_000  // Retry-After is bounded by it
        let harness = EngineHarness(configuration: configuration, http: http)
        harness.publish(3)
        harness.start()
        let committed = await eventually { harness.source.committedOffset(harness.partition(0)) == 3 }
        try await harness.stop()
        #expect(committed)
        let requests = harness.http.requests("meta")
        #expect(requests.count == 2)
        if requests.count == 2 {
            let gap = requests[1].receivedAt - requests[0].receivedAt
            #expect(gap >= .milliseconds(300), "sent again after \(gap)")
        }
        #expect(harness.engine.statistics.retries["meta"] == 1)
    }

    /// Google answers 401 to an expired token: the engine asks for a fresh one once and sends the
    /// same batch again with it; nothing is handed on.
    @Test func a401RefreshesTheCredentialsOnceAndResends() async throws {
        let tokens = RefreshingTokenProvider()
        let http = ScriptedHTTPExecutor { request in
            request.bearerToken == "token-1" ? Answer.googleUnauthenticated : Answer.accepted(request)
        }
        let harness = EngineHarness(configuration: EngineHarness.configuration(meta: false, google: tokens), http: http)
        let ids = harness.publish(7)
        harness.start()
        let committed = await eventually { harness.source.committedOffset(harness.partition(0)) == 7 }
        try await harness.stop()
        #expect(committed)
        let requests = harness.http.requests("google")
        let refused = requests.filter { $0.bearerToken == "token-1" }
        #expect(!refused.isEmpty)
        #expect(Set(requests.filter { $0.bearerToken == "token-2" }.flatMap(\.orderIDs)) == Set(ids))
        #expect(tokens.refreshes >= 1 && tokens.refreshes <= refused.count, "one refresh per refused batch at most")
        #expect(harness.writer.written.count == 0)
    }

    /// A destination that fails for longer than `handoff_after_ms`: every event goes to the
    /// retry topic naming that destination, and the partition commits to its end meanwhile.
    @Test func aDestinationDownPastTheHandOffParksItsEventsInTheRetryTopic() async throws {
        let http = ScriptedHTTPExecutor { request in
            request.platform == "meta" ? Answer.metaUnavailable : Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration(pinterest: true)
        configuration.delivery.handoffAfterMilliseconds = 100
        let harness = EngineHarness(configuration: configuration, http: http)
        let ids = harness.publish(12)
        harness.start()
        let committed = await eventually { harness.source.committedOffset(harness.partition(0)) == 12 }
        try await harness.stop()
        #expect(committed)
        let envelopes = harness.retryEnvelopes
        #expect(envelopes.count == 12)
        #expect(envelopes.allSatisfy { $0.destination == "meta" })
        #expect(Set(envelopes.map(\.origin.offset)) == Set(0..<12))
        #expect(harness.requestedOrderIDs("pinterest") == Set(ids))
        #expect(harness.engine.statistics.handedToRetryTopic == ["meta": 12])
    }
}

/// Google tokens: `token-1` until a refresh is forced, `token-2` from then on.
final class RefreshingTokenProvider: AccessTokenProvider {
    private let count = Mutex(0)
    var refreshes: Int { count.withLock { $0 } }

    func accessToken(forceRefresh: Bool) async throws(CredentialError) -> Secret {
        let refreshes = count.withLock { count in
            if forceRefresh { count += 1 }
            return count
        }
        return Secret("token-\(min(refreshes, 1) + 1)")
    }
}
