import RelayCore
import RelayEngineCore
import Testing

@Suite struct LaneBatcherTests {
    static let policy = BatchPolicy(maximumEvents: 3, maximumBytes: 1_000, lingerMilliseconds: 100)

    @Test func aFullBatchClosesAtOnceAndAPartialOneAfterItsLinger() {
        var batcher = LaneBatcher<Int, Int>(policies: [Self.policy], pacing: [nil])
        #expect(batcher.admit(1, payload: -1, lane: 0, bytes: 10, now: 0) == nil)
        #expect(batcher.admit(2, payload: -2, lane: 0, bytes: 10, now: 0) == nil)
        #expect(batcher.admit(3, payload: -3, lane: 0, bytes: 10, now: 0)?.elements == [1, 2, 3])
        _ = batcher.admit(4, payload: -4, lane: 0, bytes: 10, now: 10)
        let early = batcher.flush(.due, now: 109)
        #expect(early.batches.isEmpty)
        #expect(early.nextDeadline == 110)
        let due = batcher.flush(.due, now: 110)
        #expect(due.batches.map(\.elements) == [[4]])
        #expect(batcher.inFlight == [4], "admitted events count until settled")
        batcher.settled(lane: 0, count: 4)
        #expect(batcher.inFlight == [0])
    }

    /// Flush on hold: consumption is held, so nothing more arrives to fill a partial batch; it
    /// leaves at once instead of after its linger.
    @Test func holdingClosesPartialBatchesBeforeTheirLinger() {
        var batcher = LaneBatcher<Int, Int>(policies: [Self.policy, Self.policy], pacing: [nil, nil])
        _ = batcher.admit(1, payload: -1, lane: 0, bytes: 10, now: 0)
        _ = batcher.admit(2, payload: -2, lane: 1, bytes: 10, now: 0)
        #expect(batcher.flush(.due, now: 1).batches.isEmpty)
        let held = batcher.flush(.holding, now: 1)
        #expect(held.batches.map(\.lane) == [0, 1])
        #expect(held.nextDeadline == nil)
        #expect(batcher.unsentBatches == [1, 1])
    }

    /// A rate-limited lane with batches still waiting for their turn keeps its open batch filling
    /// (even when held or due), and closes it once they went out; shutdown and revoke close it anyway.
    @Test func aRateLimitedLaneKeepsFillingItsOpenBatchWhileEarlierBatchesWait() {
        var batcher = LaneBatcher<Int, Int>(
            policies: [Self.policy], pacing: [RequestPacing(requestsPerMinute: 60, requestsPerDay: nil)])
        #expect(batcher.admit(1, payload: -1, lane: 0, bytes: 10, now: 0) == nil)
        #expect(batcher.admit(2, payload: -2, lane: 0, bytes: 10, now: 0) == nil)
        #expect(batcher.admit(3, payload: -3, lane: 0, bytes: 10, now: 0) != nil)  // full: handed to the lane's queue
        _ = batcher.admit(4, payload: -4, lane: 0, bytes: 10, now: 0)
        #expect(!batcher.mayClosePartialBatch(lane: 0))
        #expect(batcher.flush(.due, now: 500).batches.isEmpty, "left open although its linger ran out")
        #expect(batcher.flush(.holding, now: 500).batches.isEmpty, "left open although consumption is held")
        batcher.requestLeft(lane: 0)
        #expect(batcher.flush(.due, now: 500).batches.map(\.elements) == [[4]])
        _ = batcher.admit(5, payload: -5, lane: 0, bytes: 10, now: 600)
        #expect(batcher.flush(.all, now: 600).batches.map(\.elements) == [[5]], "shutdown and revoke drain close it")
    }

    @Test func anUnlimitedLaneClosesPartialBatchesWhateverIsQueued() {
        var batcher = LaneBatcher<Int, Int>(policies: [Self.policy], pacing: [nil])
        for value in 1...3 { _ = batcher.admit(value, payload: -value, lane: 0, bytes: 10, now: 0) }
        _ = batcher.admit(4, payload: -4, lane: 0, bytes: 10, now: 0)
        #expect(batcher.flush(.holding, now: 0).batches.map(\.elements) == [[4]])
    }

    /// requests_per_minute: a tenth of a minute's budget at once, then one request per 60/rpm s.
    @Test func requestsPerMinutePacesRequests() {
        var batcher = LaneBatcher<Int, Int>(
            policies: [Self.policy], pacing: [RequestPacing(requestsPerMinute: 600, requestsPerDay: nil)])
        let burst = (0..<60).map { _ in batcher.reserveRequest(lane: 0, now: 0) }
        #expect(burst.allSatisfy { $0 == 0 }, "a burst of 60 (a tenth of 600) goes at once")
        #expect(batcher.reserveRequest(lane: 0, now: 0) == 100, "then one every 100 ms")
        #expect(batcher.reserveRequest(lane: 0, now: 0) == 200, "reservations queue")
        #expect(batcher.reserveRequest(lane: 0, now: 10_000) == 0, "refilled after ten seconds")
    }

    /// requests_per_day: a quarter of the day at once, the rest spread over the day, so no 24
    /// hours exceed the quota; the stricter of the two quotas decides.
    @Test func theDailyQuotaHoldsRequestsOnceItsBurstIsSpent() {
        var batcher = LaneBatcher<Int, Int>(
            policies: [Self.policy], pacing: [RequestPacing(requestsPerMinute: 6_000, requestsPerDay: 400)])
        let waits = (0..<100).map { _ in batcher.reserveRequest(lane: 0, now: 0) }
        #expect(waits.allSatisfy { $0 == 0 }, "a quarter of the day's 400 at once")
        let next = batcher.reserveRequest(lane: 0, now: 0)
        // 300 more over 86,400 s: one every 288 s.
        #expect(next == 288_000)
        var day = LaneBatcher<Int, Int>(policies: [Self.policy], pacing: [RequestPacing(requestsPerMinute: nil, requestsPerDay: 400)])
        // As fast as allowed: each request goes out when its reservation says.
        var sent = 0
        var now: Int64 = 0
        while sent <= 1_000 {  // bounded: an unpaced lane would never move the clock
            now += day.reserveRequest(lane: 0, now: now)
            guard now < 86_400_000 else { break }
            sent += 1
        }
        #expect(sent <= 400, "no more than the quota in 24 hours (\(sent))")
        #expect(sent >= 390)
    }

    /// A closed batch carries its elements' payloads in the same order, whether the batch closed
    /// full (with the newest event), for lack of room (without it), or on a flush.
    @Test func payloadsStayBesideTheirElementsWhicheverWayABatchCloses() {
        var batcher = LaneBatcher<Int, String>(
            policies: [BatchPolicy(maximumEvents: 3, maximumBytes: 100, lingerMilliseconds: 100)], pacing: [nil])
        #expect(batcher.admit(1, payload: "a", lane: 0, bytes: 10, now: 0) == nil)
        #expect(batcher.admit(2, payload: "b", lane: 0, bytes: 10, now: 0) == nil)
        let full = batcher.admit(3, payload: "c", lane: 0, bytes: 10, now: 0)
        #expect(full?.elements == [1, 2, 3] && full?.payloads == ["a", "b", "c"])
        #expect(batcher.admit(4, payload: "d", lane: 0, bytes: 60, now: 1) == nil)
        // No room for 50 more bytes: the open batch closes without the newest event, which opens the next.
        let noRoom = batcher.admit(5, payload: "e", lane: 0, bytes: 50, now: 2)
        #expect(noRoom?.elements == [4] && noRoom?.payloads == ["d"])
        #expect(batcher.admit(6, payload: "f", lane: 0, bytes: 10, now: 3) == nil)
        let flushed = batcher.flush(.all, now: 3).batches
        #expect(flushed.map(\.elements) == [[5, 6]] && flushed.map(\.payloads) == [["e", "f"]])
        #expect(batcher.admit(7, payload: "g", lane: 0, bytes: 10, now: 4) == nil)
        #expect(batcher.flush(.all, now: 4).batches.map(\.payloads) == [["g"]], "nothing left behind by earlier batches")
    }
}
