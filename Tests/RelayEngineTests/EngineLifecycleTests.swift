import Foundation
import Logging
import RelayCore
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelayService
import Synchronization
import Testing

/// The engine around its lifecycle, against in-memory boundaries: shutdown, a durable write that
/// fails while the writer closes, a partition revoked mid-flight, backpressure, request pacing.
@Suite(.timeLimit(.minutes(1))) struct EngineLifecycleTests {
    /// Shutdown with requests in flight: the engine waits for their answers, commits what they
    /// settled, then leaves the group (the source's close: final revoke and commit).
    @Test func shutdownDrainsInFlightDeliveriesAndCommits() async throws {
        let gate = Gate()
        let http = ScriptedHTTPExecutor { request in
            await gate.wait()
            return Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration()
        configuration.kafka.revokeDrainTimeoutMilliseconds = 0  // the final revoke's drain would cover for it
        let harness = EngineHarness(configuration: configuration, http: http)
        let ids = harness.publish(8)
        harness.start()
        let inFlight = await eventually { harness.requestedOrderIDs("meta") == Set(ids) }
        #expect(inFlight)
        harness.engine.shutdown()
        let draining = await eventually { !harness.logs.containing("shutting down: draining").isEmpty }
        #expect(draining)
        #expect((harness.source.committedOffset(harness.partition(0)) ?? 0) == 0)
        gate.open()
        try await harness.finished()
        #expect(harness.source.committedOffset(harness.partition(0)) == 8)
        #expect(harness.source.leftGroup)
        #expect(harness.writer.isClosed)
    }

    /// The produce-after-close defect (issue 20): a retry-topic write that fails once the engine
    /// closed its writer is not tried again on the closed writer (the record stays uncommitted
    /// and is read again after a restart). Before the fix, a failed write was retried during
    /// shutdown while `attempt < 3`, after `run()` had closed the producer.
    @Test func aDurableWriteThatFailsAfterCloseIsNotRetriedOnTheClosedWriter() async throws {
        var configuration = EngineHarness.configuration()
        configuration.kafka.shutdownDrainTimeoutMilliseconds = 50
        configuration.kafka.revokeDrainTimeoutMilliseconds = 50
        let harness = EngineHarness(configuration: configuration)
        harness.writer.holdSends()
        harness.source.append([Array("not json".utf8)], to: harness.partition(0))
        harness.start()
        let sent = await eventually { harness.writer.heldCount == 1 }
        #expect(sent, "the poison record's write is waiting for its acknowledgement")
        harness.engine.shutdown()
        let closed = await eventually { harness.writer.isClosed }
        #expect(closed)
        // The write's answer arrives after the writer closed: it failed.
        harness.writer.answerHeld(
            failing: KafkaError(code: .underlying, message: "Local: Message timed out", rdKafkaCode: KafkaError.RDKafkaCode.messageTimedOut))
        let gaveUp = await eventually { !harness.logs.containing("failed during shutdown").isEmpty }
        try await harness.finished()
        #expect(gaveUp)
        #expect(harness.writer.sendsAfterClose == 0, "a write was retried on the closed writer")
        #expect(harness.writer.written.count == 0)
        #expect((harness.source.committedOffset(harness.partition(0)) ?? 0) == 0, "the unwritten record must be read again")
    }

    /// A partition revoked while its events are in flight: nothing of it is committed after the
    /// revoke; when it comes back (a new generation, re-read from the committed offset), the
    /// acknowledgements of the first generation's requests do not move the new owner's
    /// frontier, which waits for its own deliveries.
    @Test func aRevokedPartitionsInFlightEventsDoNotCommitForTheNextOwner() async throws {
        let firstGeneration = Gate()
        let reassigned = Mutex(false)
        let http = ScriptedHTTPExecutor { request in
            guard request.orderIDs.contains(where: { $0.hasPrefix("ORD-0-") }) else { return Answer.accepted(request) }
            if reassigned.withLock({ $0 }) { return Answer.metaUnavailable }  // the new owner's deliveries fail
            await firstGeneration.wait()
            return Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration()
        configuration.kafka.revokeDrainTimeoutMilliseconds = 50
        configuration.kafka.shutdownDrainTimeoutMilliseconds = 50  // the new owner's events never settle
        let harness = EngineHarness(partitions: 2, configuration: configuration, http: http)
        let zero = harness.partition(0), one = harness.partition(1)
        let ids = harness.publish(6, to: 0)
        harness.start()
        let inFlight = await eventually { harness.requestedOrderIDs("meta") == Set(ids) }
        #expect(inFlight)

        harness.source.revoke([zero])
        let revoked = await eventually { harness.source.assignment == [one] }
        #expect(revoked)
        #expect((harness.source.committedOffset(zero) ?? 0) == 0, "nothing of the revoked partition was settled")

        reassigned.withLock { $0 = true }
        let before = harness.http.requests.count
        harness.source.assign([zero])
        let resent = await eventually {
            Set(harness.http.requests.dropFirst(before).flatMap(\.orderIDs)) == Set(ids)
        }
        #expect(resent, "the new owner reads the partition again from its committed offset")
        firstGeneration.open()
        let acknowledged = await eventually { harness.engine.statistics.delivered["meta"] == 6 }
        #expect(acknowledged)
        // A witness: partition 1's orders, settled after the first generation's, are committed.
        harness.publish(3, to: 1)
        let witnessed = await eventually { harness.source.committedOffset(one) == 3 }
        #expect(witnessed)
        #expect((harness.source.committedOffset(zero) ?? 0) == 0, "the first generation's acknowledgements committed for the new owner")
        try await harness.stop()
    }

    /// Destinations slower than the intake: consumption holds at the high watermark, the
    /// partitions are paused when the hold lasts (nothing more is read meanwhile), and they are
    /// resumed once the deliveries settle; everything is then committed.
    @Test func backpressurePausesConsumptionAndResumesWhenDeliveriesSettle() async throws {
        let gate = Gate()
        let http = ScriptedHTTPExecutor { request in
            await gate.wait()
            return Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration(batch: 20)
        configuration.delivery.highWatermarkEvents = 20
        configuration.delivery.lowWatermarkEvents = 10
        configuration.delivery.minimumPauseMilliseconds = 20
        let harness = EngineHarness(partitions: 2, configuration: configuration, http: http)
        let zero = harness.partition(0), one = harness.partition(1)
        harness.publish(400, to: 0)
        harness.publish(400, to: 1)
        harness.start()
        // A hold lasting a second (BackpressureController.Limits.holdBeforePauseMilliseconds) pauses.
        let paused = await eventually { harness.source.pausedPartitions == [zero, one] }
        #expect(paused)
        func read() -> Int64 { (harness.source.position(zero) ?? 0) + (harness.source.position(one) ?? 0) }
        let readAtPause = read()
        // The watermark plus at most the chunk that reached it (5 here): the poll loop applies
        // backpressure on the turn a chunk takes it to the watermark, however fast records came.
        #expect(readAtPause <= 25, "read \(readAtPause) records: the hold landed past the high watermark (20) and its chunk")
        #expect(harness.engine.statistics.backpressurePauses >= 1)
        // The poll loop keeps polling (the member stays in the group) and reads nothing more.
        let polls = harness.source.polls
        let polled = await eventually { harness.source.polls >= polls + 20 }
        #expect(polled)
        #expect(read() == readAtPause, "records were read while the partitions were paused")

        gate.open()
        let committed = await eventually {
            harness.source.committedOffset(zero) == 400 && harness.source.committedOffset(one) == 400
        }
        try await harness.stop()
        #expect(committed)
        #expect(Set(harness.source.resumeCalls.flatMap { $0 }) == [zero, one])
        #expect(harness.source.pausedPartitions.isEmpty)
    }

    /// A hold sends partial batches at once (nothing more arrives to fill them while consumption
    /// holds): with a one-minute linger, the first request goes out at the watermark.
    @Test func aHoldSendsPartialBatchesWithoutWaitingForTheLinger() async throws {
        var configuration = EngineHarness.configuration(batch: 1_000)
        configuration.destinations.meta?.batchPolicy.lingerMilliseconds = 60_000
        configuration.delivery.highWatermarkEvents = 20
        configuration.delivery.lowWatermarkEvents = 10
        let harness = EngineHarness(configuration: configuration)
        harness.publish(30)
        harness.start()
        let flowed = await eventually { !harness.http.requests("meta").isEmpty }
        #expect(flowed, "a partial batch waited for its linger although consumption was held")
        #expect((harness.http.requests("meta").first?.orderIDs.count ?? 0) >= 20)
        try await harness.stop()
    }

    /// A daily request quota: a quarter of it at once, then one request per share of the day;
    /// the events waiting for it are not committed, while the other destination delivers all.
    @Test func aDailyQuotaPacesADestinationsRequests() async throws {
        var configuration = EngineHarness.configuration(google: RefreshingTokenProvider())
        configuration.destinations.google?.requestsPerDay = 8
        configuration.kafka.shutdownDrainTimeoutMilliseconds = 50
        configuration.kafka.revokeDrainTimeoutMilliseconds = 50
        let harness = EngineHarness(configuration: configuration)
        let ids = harness.publish(30)
        harness.start()
        let metaDone = await eventually { harness.engine.statistics.delivered["meta"] == 30 }
        #expect(metaDone)
        // Google's six batches were due with Meta's: unpaced, they would have gone out with them.
        let quotaBurst = await eventually { harness.http.requests("google").count >= 2 }
        #expect(quotaBurst)
        try await harness.stop()
        #expect(harness.http.requests("google").count == 2, "a quarter of 8 a day at once, then one every 4 hours")
        #expect(harness.requestedOrderIDs("meta") == Set(ids))
        #expect((harness.source.committedOffset(harness.partition(0)) ?? 0) < 30, "events waiting for the quota are not committed")
    }

    /// Start-up readies the retry and dead-letter topics in the writer before the first poll, so
    /// the first poison record after a start is not left waiting for its topic's metadata with its
    /// partition's frontier held (the paced benchmark's tail, benchmarks/HISTORY.md).
    @Test func startUpPreparesTheDurableTopicsBeforeTheFirstPoll() async throws {
        let harness = EngineHarness()
        let pollsWhenPreparing = Mutex<[Int]>([])
        let source = harness.source
        harness.writer.onPrepare { pollsWhenPreparing.withLock { $0.append(source.polls) } }
        harness.source.append([Array("not json".utf8)], to: harness.partition(0))
        let ids = harness.publish(3, first: 1)
        harness.start()
        let delivered = await eventually { harness.requestedOrderIDs("meta") == Set(ids) && harness.writer.written.count == 1 }
        #expect(delivered)
        #expect(harness.writer.prepared.map { Set($0) } == [[EngineHarness.retryTopic, EngineHarness.deadLetterTopic]])
        #expect(pollsWhenPreparing.withLock { $0 } == [0], "prepared once, before the first poll")
        harness.engine.shutdown()
        try await harness.finished()
    }

    /// A durable topic that cannot be readied at start is named in a warning, and the relay runs
    /// on: its first write looks the topic up again.
    @Test func aDurableTopicThatCannotBePreparedIsLoggedAndNotFatal() async throws {
        let harness = EngineHarness()
        harness.writer.failPreparing([EngineHarness.retryTopic])
        harness.source.append([Array("not json".utf8)], to: harness.partition(0))
        let ids = harness.publish(3, first: 1)
        harness.start()
        let delivered = await eventually {
            harness.requestedOrderIDs("meta") == Set(ids) && harness.writer.written(to: EngineHarness.retryTopic).count == 1
        }
        #expect(delivered)
        let warnings = harness.logs.containing("could not look up a topic the relay writes to")
        #expect(warnings.map { $0.metadata["kafka.topic"] } == [EngineHarness.retryTopic])
        #expect(warnings.allSatisfy { $0.level == .warning })
        harness.engine.shutdown()
        try await harness.finished()
    }
}
