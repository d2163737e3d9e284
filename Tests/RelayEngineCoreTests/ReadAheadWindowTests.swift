import RelayCore
import RelayEngineCore
import Testing

@Suite struct ReadAheadWindowTests {
    static let limits = ReadAheadWindow.Limits(events: 1_000, holdBeforePauseMilliseconds: 1_000, minimumPauseMilliseconds: 250)

    @Test func takesOnlyTheRoomLeftInTheWindow() {
        let window = ReadAheadWindow(limits: Self.limits)
        #expect(window.recordsToTake(readAhead: 0, chunk: 512) == 512, "a chunk at most")
        #expect(window.recordsToTake(readAhead: 900, chunk: 512) == 100)
        #expect(window.recordsToTake(readAhead: 1_000, chunk: 512) == 0, "full: wait for settlements")
        #expect(window.recordsToTake(readAhead: 1_100, chunk: 512) == 0)
    }

    /// Unset, the window holds one largest batch filling and three in flight.
    @Test func theDefaultWindowIsFourOfTheLargestBatch() {
        #expect(ReadAheadWindow.Limits.defaultEvents(largestBatch: 2_000) == 8_000, "Google's and Snapchat's batches")
        #expect(ReadAheadWindow.Limits.defaultEvents(largestBatch: 1_000) == 4_000, "Meta, TikTok, Pinterest alone")
        #expect(ReadAheadWindow.Limits.defaultEvents(largestBatch: 0) == 4, "never empty")
    }

    /// How long the window kept the driver waiting (the metric that says whether it binds): one
    /// wait from the first turn that may take nothing to the first that may take records again,
    /// told once, when it ends; turns with room tell nothing.
    @Test func aWaitOnAFullWindowIsToldOnceWhenItEnds() {
        var window = ReadAheadWindow(limits: Self.limits)
        #expect(window.take(readAhead: 0, chunk: 512, now: 0) == (512, nil))
        #expect(window.take(readAhead: 1_000, chunk: 512, now: 10) == (0, nil), "full: a wait starts")
        #expect(window.take(readAhead: 1_000, chunk: 512, now: 15) == (0, nil), "the same wait goes on")
        #expect(window.take(readAhead: 990, chunk: 512, now: 42) == (10, 32), "room again: the wait lasted 10 to 42")
        #expect(window.take(readAhead: 990, chunk: 512, now: 50) == (10, nil), "told once")
        #expect(window.take(readAhead: 1_200, chunk: 512, now: 60) == (0, nil))
        #expect(window.take(readAhead: 0, chunk: 512, now: 61) == (512, 1), "a new wait is timed from its own start")
    }

    /// The point of the window: a destination that settles at once never gets more than the
    /// window ahead of the slowest one's frontier, which is all a crash makes it repeat beyond
    /// the last commit's lag. Driven like the poll loop: take the room, track, settle.
    @Test func aFastDestinationRunsAtMostTheWindowAheadOfTheSlowestOne() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0), partition(1)])
        let window = ReadAheadWindow(limits: Self.limits)
        var next: [Int64] = [0, 0]
        var unsettledAtSlow: [RecordPosition] = []
        var deliveredByFast = 0
        var mostAheadOfFrontier: Int64 = 0
        var stored: [TopicPartition: Int64] = [:]
        for turn in 0..<400 {
            let take = window.recordsToTake(readAhead: ledger.readAhead, chunk: 64)
            for index in 0..<take {
                let number = Int32(index % 2)
                let record = position(number, next[Int(number)])
                next[Int(number)] += 1
                ledger.track(record, settlements: 2)
                ledger.settle(record, generation: generation)  // the fast destination: at once
                deliveredByFast += 1
                unsettledAtSlow.append(record)
            }
            // Delivered by the fast destination past the stored frontiers: what a crash now
            // repeats there (once they are committed).
            stored.merge(ledger.takeOffsetsToStore().offsets) { $1 }
            let ahead = (0..<2).map { next[$0] - (stored[partition(Int32($0))] ?? 0) }.reduce(0, +)
            mostAheadOfFrontier = max(mostAheadOfFrontier, ahead)
            // The slow destination settles its oldest 40 events every third turn.
            if turn % 3 == 0 {
                for record in unsettledAtSlow.prefix(40) { ledger.settle(record, generation: generation) }
                unsettledAtSlow.removeFirst(min(40, unsettledAtSlow.count))
            }
        }
        #expect(mostAheadOfFrontier == 1_000, "the fast destination ran exactly the window ahead, no further")
        #expect(deliveredByFast > 5_000, "the window slides as the slow destination settles: \(deliveredByFast)")
    }

    @Test func aWindowFullForASecondPausesAndResumesUnderThreeQuartersAfterTheMinimumPause() {
        var window = ReadAheadWindow(limits: Self.limits)
        func pauses(_ readAhead: Int64, at now: Int64) -> Bool { window.evaluate(readAhead: readAhead, now: now) }
        #expect(!pauses(1_000, at: 0))
        #expect(!pauses(999, at: 500), "room again: the full spell ended")
        #expect(!pauses(1_000, at: 600))
        #expect(!pauses(1_000, at: 1_599))
        #expect(pauses(1_000, at: 1_600), "full for a second: pause, so polling serves the group")
        #expect(window.recordsToTake(readAhead: 1_000, chunk: 512) == 1, "paused: keep polling")
        #expect(pauses(700, at: 1_849), "the minimum pause is not over")
        #expect(pauses(800, at: 1_900), "the minimum pause is over, but not under three quarters yet")
        #expect(!pauses(749, at: 1_901))
        #expect(!window.pausing)
        #expect(window.recordsToTake(readAhead: 749, chunk: 512) == 251)
        #expect(!pauses(1_000, at: 1_950), "a new full spell starts its own second")
    }
}

@Suite struct SettlementLedgerReadAheadTests {
    @Test func readAheadIsTheSpanFromEachFrontierToTheLastConsumedOffset() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0), partition(1)])
        #expect(ledger.readAhead == 0)
        for offset in Int64(100)..<110 { ledger.track(position(0, offset), settlements: 1) }
        for offset in Int64(0)..<5 { ledger.track(position(1, offset), settlements: 1) }
        #expect(ledger.readAhead == 15)
        for offset in Int64(101)..<110 { ledger.settle(position(0, offset), generation: generation) }
        #expect(ledger.readAhead == 15, "settled past an unsettled offset: still ahead of the frontier")
        ledger.settle(position(0, 100), generation: generation)
        #expect(ledger.readAhead == 5)
        ledger.track(position(1, 5), settlements: 0)
        #expect(ledger.readAhead == 6, "an event that needs no settlement counts while one before it is unsettled")
        ledger.forget([partition(1)])
        #expect(ledger.readAhead == 0, "revoked partitions no longer count")
        ledger.assign([partition(2)], startingAt: [partition(2): 40])
        #expect(ledger.readAhead == 0, "resumed past what was settled: nothing ahead yet")
    }
}
