import RelaySandbox
import Testing

@testable import relay_bench

/// The harness's accounting, which every `lost` and `duplicates` figure rests on: distinct
/// (platform, order) pairs, duplicates, ids it cannot place, and latency only for first receipts.
@Suite struct DeliveryTrackerTests {
    static func receipts(_ indices: [Int]) -> [LedgerReceipt] {
        indices.map { LedgerReceipt(eventID: "ORD-\(100_000 + $0)") }
    }

    @Test func orderIndicesAreReadFromTheSampleIdsOnly() {
        #expect(DeliveryTracker.orderIndex("ORD-100000") == 0)
        #expect(DeliveryTracker.orderIndex("ORD-100042") == 42)
        #expect(DeliveryTracker.orderIndex("ORD-1099999") == 999_999)
        #expect(DeliveryTracker.orderIndex("ORD-99999") == nil, "below the generator's first id")
        #expect(DeliveryTracker.orderIndex("ORD-10000a") == nil)
        #expect(DeliveryTracker.orderIndex("ORD-") == nil)
        #expect(DeliveryTracker.orderIndex("ORD-" + String(repeating: "1", count: 19)) == nil, "more than 18 digits")
        #expect(DeliveryTracker.orderIndex("ORD-" + String(repeating: "1", count: 18)) == 111_111_111_111_111_111 - 100_000)
    }

    @Test func everyExpectedPairCountsOnceAndAMissingOneIsLost() {
        let tracker = DeliveryTracker(orderCount: 4, expected: [true, false, true, true])
        #expect(tracker.expectedPairs == 3 * DeliveryTracker.platforms.count)
        for platform in DeliveryTracker.platforms {
            tracker.observe(platform: platform, receipts: Self.receipts(platform == "tiktok" ? [0, 2] : [0, 2, 3]))
        }
        #expect(tracker.deliveredPairs == 3 * 5 - 1)
        #expect(!tracker.isComplete)
        #expect(tracker.lostPairs() == 1, "order 3 never reached tiktok")
        tracker.observe(platform: "tiktok", receipts: Self.receipts([3]))
        #expect(tracker.isComplete)
        #expect(tracker.lostPairs() == 0)
        #expect(tracker.state.withLock { $0.duplicates } == 0)
    }

    @Test func aSecondReceiptIsADuplicateNotADelivery() {
        let tracker = DeliveryTracker(orderCount: 2, expected: [true, true])
        tracker.observe(platform: "meta", receipts: Self.receipts([0, 1]))
        tracker.observe(platform: "meta", receipts: Self.receipts([1]))
        tracker.observe(platform: "google", receipts: Self.receipts([1, 1]))
        let (duplicates, distinct, done) = tracker.state.withLock { ($0.duplicates, $0.distinct, $0.platformsDone) }
        #expect(duplicates == 2)
        #expect(distinct == [2, 1, 0, 0, 0])
        #expect(done == [1, 2])
        #expect(tracker.deliveredPairs == 3)
    }

    @Test func idsItCannotPlaceAreCountedApartAndUnknownPlatformsIgnored() {
        let tracker = DeliveryTracker(orderCount: 2, expected: [true, true])
        tracker.observe(platform: "meta", receipts: [LedgerReceipt(eventID: "evt-1")] + Self.receipts([2, 0]))
        tracker.observe(platform: "myspace", receipts: Self.receipts([1]))
        let (unknown, distinct) = tracker.state.withLock { ($0.unknown, $0.distinct) }
        #expect(unknown == 2, "a foreign id, and an index past the backlog")
        #expect(distinct == [1, 0, 0, 0, 0])
    }

    /// An order's end-to-end latency is recorded once, when its last platform first acknowledges
    /// it; per-platform latency once per platform; duplicates record nothing.
    @Test func latencyIsRecordedForFirstReceiptsAndCompletedOrders() {
        let tracker = DeliveryTracker(orderCount: 2, expected: [true, true])
        tracker.measureLatency()
        tracker.produced(0, atMicros: DeliveryTracker.nowMicros())
        for platform in DeliveryTracker.platforms.dropLast() {
            tracker.observe(platform: platform, receipts: Self.receipts([0, 1]))
        }
        #expect(tracker.state.withLock { $0.latency.totalCount } == 0, "not yet at every platform")
        tracker.observe(platform: "snapchat", receipts: Self.receipts([0, 0, 1]))
        let (total, perPlatform) = tracker.state.withLock { ($0.latency.totalCount, $0.platformLatency.map(\.totalCount)) }
        #expect(total == 1, "order 1 has no produce time; order 0's duplicate adds nothing")
        #expect(perPlatform == [1, 1, 1, 1, 1])
    }
}
