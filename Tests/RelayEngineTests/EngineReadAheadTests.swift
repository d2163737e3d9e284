import RelayCore
import RelayDestinations
import RelayService
import Testing

/// The read-ahead window (`delivery.read_ahead_events`, issue 20): what a crash repeats.
@Suite(.timeLimit(.minutes(1))) struct EngineReadAheadTests {
    /// Meta answers at once, Pinterest holds every request: the engine reads the window's 30
    /// offsets past the settled frontiers and no more, so Meta, which takes everything read, is
    /// 30 orders ahead of Pinterest, not the 400 available (a crash now would make it repeat
    /// those 30). A window full for a second pauses the partitions (the poll loop goes on
    /// serving the group); once Pinterest answers, the rest is read, delivered and committed.
    @Test func consumptionStopsAtTheWindowPastTheSettledFrontier() async throws {
        let gate = Gate()
        let http = ScriptedHTTPExecutor { request in
            if request.platform == "pinterest" { await gate.wait() }
            return Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration(pinterest: true)
        configuration.delivery.readAheadEvents = 30
        configuration.delivery.minimumPauseMilliseconds = 20
        let harness = EngineHarness(partitions: 2, configuration: configuration, http: http)
        let zero = harness.partition(0), one = harness.partition(1)
        let ids = harness.publish(200, to: 0) + harness.publish(200, to: 1)
        harness.start()
        let paused = await eventually { harness.source.pausedPartitions == [zero, one] }
        #expect(paused, "a window full for a second pauses the partitions")
        let read = (harness.source.position(zero) ?? 0) + (harness.source.position(one) ?? 0)
        #expect(read == 30, "read \(read) records with a window of 30")
        #expect(harness.requestedOrderIDs("meta").count == 30, "Meta ran the window ahead of Pinterest, no further")
        #expect(harness.engine.statistics.backpressurePauses == 0, "the window, not the watermarks, stopped consumption")

        gate.open()
        let committed = await eventually {
            harness.source.committedOffset(zero) == 200 && harness.source.committedOffset(one) == 200
        }
        try await harness.stop()
        #expect(committed)
        #expect(harness.requestedOrderIDs("meta") == Set(ids))
        #expect(harness.requestedOrderIDs("pinterest") == Set(ids))
        #expect(Set(harness.source.resumeCalls.flatMap { $0 }) == [zero, one])
    }

    /// `read_ahead_events` unset: the window is four of the largest batch a destination sends
    /// (Meta's 10 here, Pinterest's 5), so the engine reads 40 offsets while Pinterest holds
    /// every request, and the rest once it answers.
    @Test func anUnsetWindowIsFourOfTheLargestBatch() async throws {
        let gate = Gate()
        let http = ScriptedHTTPExecutor { request in
            if request.platform == "pinterest" { await gate.wait() }
            return Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration(pinterest: true)
        configuration.destinations.meta?.batchPolicy = BatchPolicy(maximumEvents: 10, lingerMilliseconds: 5)
        configuration.delivery.readAheadEvents = nil
        configuration.delivery.minimumPauseMilliseconds = 20
        let harness = EngineHarness(partitions: 2, configuration: configuration, http: http)
        let zero = harness.partition(0), one = harness.partition(1)
        let ids = harness.publish(200, to: 0) + harness.publish(200, to: 1)
        harness.start()
        let paused = await eventually { harness.source.pausedPartitions == [zero, one] }
        #expect(paused, "a window full for a second pauses the partitions")
        let read = (harness.source.position(zero) ?? 0) + (harness.source.position(one) ?? 0)
        #expect(read == 40, "read \(read) records: the window should be 4 × Meta's 10")

        gate.open()
        let committed = await eventually {
            harness.source.committedOffset(zero) == 200 && harness.source.committedOffset(one) == 200
        }
        try await harness.stop()
        #expect(committed)
        #expect(harness.requestedOrderIDs("pinterest") == Set(ids))
    }
}
