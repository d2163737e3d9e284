import RelayCore
import RelayEngineCore
import Testing

@Suite struct BackpressureControllerTests {
    static let limits = BackpressureController.Limits(
        highWatermarkEvents: 100, lowWatermarkEvents: 50, highWatermarkBytes: 10_000, lowWatermarkBytes: 5_000,
        minimumPauseMilliseconds: 250, holdBeforePauseMilliseconds: 1_000, heapReleaseIntervalMilliseconds: 5_000)

    @Test func holdsAtTheHighWatermarkAndPausesOnlyWhenTheHoldLasts() {
        var controller = BackpressureController(limits: Self.limits)
        let quiet = controller.evaluate(busiestLane: 99, bytes: 0, now: 0)
        #expect(!quiet.holdStarted && !quiet.holding && !quiet.pauseAll && !quiet.releaseHeap)
        let started = controller.evaluate(busiestLane: 100, bytes: 0, now: 10)
        #expect(started.holdStarted && started.holding && !started.pauseAll)
        let still = controller.evaluate(busiestLane: 90, bytes: 0, now: 1_009)
        #expect(!still.holdStarted && still.holding && !still.pauseAll, "between the marks: still held")
        let paused = controller.evaluate(busiestLane: 90, bytes: 0, now: 1_010)
        #expect(paused.pauseAll && !paused.holding, "held for a second: pause the partitions")
    }

    /// What the driver asks after admitting a chunk: exactly the condition that starts a hold,
    /// and never once the hold is on.
    @Test func aHoldWouldStartExactlyWhereEvaluatingStartsIt() {
        for (lane, bytes) in [(99, 9_999), (100, 0), (0, 10_000), (50, 5_000), (150, 20_000)] {
            var controller = BackpressureController(limits: Self.limits)
            let would = controller.wouldStartHold(busiestLane: lane, bytes: bytes)
            #expect(would == controller.evaluate(busiestLane: lane, bytes: bytes, now: 0).holdStarted, "\(lane) events, \(bytes) bytes")
            #expect(!controller.wouldStartHold(busiestLane: 200, bytes: 20_000) || !controller.engaged, "not while held")
        }
    }

    @Test func theMemoryBudgetHoldsToo() {
        var controller = BackpressureController(limits: Self.limits)
        #expect(controller.evaluate(busiestLane: 0, bytes: 10_000, now: 0).holdStarted)
        #expect(!controller.mayEnd(busiestLane: 0, bytes: 5_001, now: 500))
        #expect(controller.mayEnd(busiestLane: 0, bytes: 5_000, now: 500))
    }

    @Test func aHoldEndsAsSoonAsEveryLaneIsUnderTheLowWatermarks() {
        var controller = BackpressureController(limits: Self.limits)
        _ = controller.evaluate(busiestLane: 100, bytes: 0, now: 0)
        #expect(controller.evaluate(busiestLane: 51, bytes: 0, now: 5).holding, "above the low watermark")
        #expect(controller.evaluate(busiestLane: 50, bytes: 5_001, now: 10).holding, "bytes above their low watermark")
        // No minimum for a hold: waiting on after the levels are down idles the destinations.
        let resumed = controller.evaluate(busiestLane: 50, bytes: 5_000, now: 15)
        #expect(!resumed.holding && !resumed.pauseAll && !controller.engaged)
        #expect(resumed.releaseHeap, "the first resume returns freed heap")
    }

    @Test func aPauseLastsTheMinimumFromWhenItBegan() {
        var controller = BackpressureController(limits: Self.limits)
        _ = controller.evaluate(busiestLane: 100, bytes: 0, now: 0)
        #expect(controller.evaluate(busiestLane: 90, bytes: 0, now: 1_000).pauseAll, "the hold lasted: paused at 1,000")
        #expect(!controller.mayEnd(busiestLane: 0, bytes: 0, now: 1_249), "paused for 249 ms only")
        #expect(controller.evaluate(busiestLane: 0, bytes: 0, now: 1_249).pauseAll)
        #expect(!controller.mayEnd(busiestLane: 51, bytes: 0, now: 1_250), "above the low watermark")
        let resumed = controller.evaluate(busiestLane: 0, bytes: 0, now: 1_250)
        #expect(!resumed.holding && !resumed.pauseAll && !controller.engaged)
    }

    @Test func freedHeapIsReturnedAtMostOnceInTheInterval() {
        var controller = BackpressureController(limits: Self.limits)
        var releases: [Int64] = []
        for cycle in Int64(0)..<10 {
            let start = cycle * 1_000
            _ = controller.evaluate(busiestLane: 100, bytes: 0, now: start)
            if controller.evaluate(busiestLane: 0, bytes: 0, now: start + 300).releaseHeap { releases.append(start + 300) }
            #expect(!controller.engaged)
        }
        #expect(releases == [300, 5_300])
    }
}

@Suite struct PartitionPausesTests {
    @Test func pausesAndResumesOnlyTheDifferences() {
        var pauses = PartitionPauses()
        let first = pauses.reconcile(desired: [partition(0), partition(1)])
        #expect(Set(first.pause) == [partition(0), partition(1)] && first.resume.isEmpty)
        let second = pauses.reconcile(desired: [partition(1), partition(2)])
        #expect(second.pause == [partition(2)] && second.resume == [partition(0)])
        #expect(pauses.revoke([partition(2), partition(3)]) == [partition(2)])
        #expect(pauses.paused == [partition(1)])
    }
}

/// The retry topic's hold: a record not due holds its partition; later records of it are dropped
/// until the seek back; once due, the partition is released at that record.
@Suite struct RetryHoldTests {
    @Test func aRecordNotDueHoldsItsPartitionUntilItIs() {
        var hold = RetryHold()
        #expect(hold.admit(position(0, 5, topic: "retry"), notBefore: 1_000, now: 0) == .hold)
        #expect(hold.heldPartitions == [partition(0, topic: "retry")])
        #expect(hold.admit(position(0, 6, topic: "retry"), notBefore: nil, now: 0) == .drop, "nothing after it is processed")
        #expect(hold.admit(position(1, 0, topic: "retry"), notBefore: 500, now: 600) == .process, "other partitions go on")
        #expect(hold.releaseDue(now: 999).isEmpty)
        #expect(hold.nextDue == 1_000)
        let released = hold.releaseDue(now: 1_000)
        #expect(released.map(\.partition) == [partition(0, topic: "retry")])
        #expect(released.map(\.offset) == [5], "seek back to the held record")
        #expect(hold.isEmpty)
        #expect(hold.admit(position(0, 5, topic: "retry"), notBefore: 1_000, now: 1_000) == .process)
        #expect(hold.admit(position(2, 0, topic: "retry"), notBefore: 1_001, now: 1_000) == .hold, "a millisecond early is not due")
    }

    @Test func revokedPartitionsAreNoLongerHeld() {
        var hold = RetryHold()
        _ = hold.admit(position(0, 5), notBefore: 10_000, now: 0)
        hold.forget([partition(0)])
        #expect(hold.isEmpty)
    }
}
