import RelayCore
import RelayDestinations
import RelayService
import Testing

/// The read-ahead window (`delivery.read_ahead_events`, issue 20): what a crash repeats.
@Suite(.timeLimit(.minutes(1))) struct EngineReadAheadTests {
    /// What one run behind a held Pinterest saw.
    struct HeldRun {
        let harness: EngineHarness
        let ids: [String]
        /// Whether both partitions were paused while Pinterest held its requests.
        let paused: Bool
        /// Offsets read by then, both partitions together.
        let read: Int64
        /// Meta's order ids requested by then.
        let metaRequested: Set<String>
        /// Whether both partitions were committed to their ends after Pinterest answered.
        let committed: Bool
    }

    /// Meta answers at once and Pinterest holds every request until the window has paused both
    /// partitions (200 orders each); then Pinterest answers and the run goes on until everything
    /// is committed, or the wait gives up.
    func runBehindAHeldPinterest(_ configure: (inout RelayConfiguration) -> Void) async throws -> HeldRun {
        let gate = Gate()
        let http = ScriptedHTTPExecutor { request in
            if request.platform == "pinterest" { await gate.wait() }
            return Answer.accepted(request)
        }
        var configuration = EngineHarness.configuration(pinterest: true)
        configuration.delivery.minimumPauseMilliseconds = 20
        configure(&configuration)
        let harness = EngineHarness(partitions: 2, configuration: configuration, http: http)
        let zero = harness.partition(0), one = harness.partition(1)
        let ids = harness.publish(200, to: 0) + harness.publish(200, to: 1)
        harness.start()
        let paused = await eventually { harness.source.pausedPartitions == [zero, one] }
        let read = (harness.source.position(zero) ?? 0) + (harness.source.position(one) ?? 0)
        // Meta takes everything read, but its last batch can still be on its way when the pause
        // is seen (a loaded machine): wait for it, then take what Meta was asked for.
        _ = await eventually { harness.requestedOrderIDs("meta").count >= Int(read) }
        let metaRequested = harness.requestedOrderIDs("meta")

        gate.open()
        let committed = await eventually {
            harness.source.committedOffset(zero) == 200 && harness.source.committedOffset(one) == 200
        }
        try await harness.stop()
        return HeldRun(harness: harness, ids: ids, paused: paused, read: read, metaRequested: metaRequested, committed: committed)
    }

    /// Meta answers at once, Pinterest holds every request: the engine reads the window's 30
    /// offsets past the settled frontiers and no more, so Meta, which takes everything read, is
    /// 30 orders ahead of Pinterest, not the 400 available (a crash now would make it repeat
    /// those 30). A window full for a second pauses the partitions (the poll loop goes on
    /// serving the group); once Pinterest answers, the rest is read, delivered and committed.
    @Test func consumptionStopsAtTheWindowPastTheSettledFrontier() async throws {
        let run = try await runBehindAHeldPinterest { $0.delivery.readAheadEvents = 30 }
        let harness = run.harness
        #expect(run.paused, "a window full for a second pauses the partitions")
        #expect(run.read == 30, "read \(run.read) records with a window of 30")
        #expect(run.metaRequested.count == 30, "Meta ran the window ahead of Pinterest, no further")
        #expect(harness.engine.statistics.backpressurePauses == 0, "the window, not the watermarks, stopped consumption")
        #expect(run.committed)
        #expect(harness.requestedOrderIDs("meta") == Set(run.ids))
        #expect(harness.requestedOrderIDs("pinterest") == Set(run.ids))
        #expect(Set(harness.source.resumeCalls.flatMap { $0 }) == [harness.partition(0), harness.partition(1)])
    }

    /// `read_ahead_events` unset: the window is four of the largest batch a destination sends
    /// (Meta's 10 here, Pinterest's 5), so the engine reads 40 offsets while Pinterest holds
    /// every request, and the rest once it answers.
    @Test func anUnsetWindowIsFourOfTheLargestBatch() async throws {
        let run = try await runBehindAHeldPinterest { configuration in
            configuration.destinations.meta?.batchPolicy = BatchPolicy(maximumEvents: 10, lingerMilliseconds: 5)
            configuration.delivery.readAheadEvents = nil
        }
        #expect(run.paused, "a window full for a second pauses the partitions")
        #expect(run.read == 40, "read \(run.read) records: the window should be 4 × Meta's 10")
        #expect(run.committed)
        #expect(run.harness.requestedOrderIDs("pinterest") == Set(run.ids))
    }
}
