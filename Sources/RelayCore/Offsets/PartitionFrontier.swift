/// The commit frontier of one Kafka partition.
///
/// Each consumed offset is tracked with the number of outstanding settlements it needs (one per
/// destination the event goes to, or one for a retry-topic write). The frontier is the lowest
/// offset that is not yet fully settled, or the highest consumed offset + 1 when nothing is
/// pending; it is exactly what may be handed to `rd_kafka_offsets_store`, so a committed offset
/// never passes an event that some destination has not settled.
///
/// Offsets must be tracked in increasing order (as a partition delivers them); gaps are fine
/// (compaction, transaction markers). Settling is O(log n); advancing is amortised O(1).
public struct PartitionFrontier: Sendable, Equatable {
    private var offsets: [Int64] = []
    private var remaining: [Int32] = []
    private var head = 0
    /// Highest consumed offset + 1, or the position the partition was assigned at.
    public private(set) var nextOffset: Int64?

    public init(startingAt offset: Int64? = nil) {
        self.nextOffset = offset
    }

    /// Number of consumed offsets that still wait for at least one settlement.
    public var pendingCount: Int { offsets.count - head }

    /// The offset that is safe to commit: everything below it is settled.
    public var committableOffset: Int64? {
        head < offsets.count ? offsets[head] : nextOffset
    }

    /// Starts tracking `offset`, which needs `settlements` acknowledgements before it is settled.
    /// An offset that needs none (filtered out, nothing to send) is settled at once.
    public mutating func track(offset: Int64, settlements: Int) {
        precondition(nextOffset.map { offset >= $0 } ?? true, "offsets must be tracked in increasing order")
        nextOffset = offset + 1
        guard settlements > 0 else {
            return
        }
        offsets.append(offset)
        remaining.append(Int32(settlements))
    }

    /// Records one settlement of `offset`. Returns `true` when the committable offset moved.
    /// Settling an offset that is not pending (already settled, or never tracked) is ignored and
    /// returns `false`, so a late or repeated acknowledgement cannot corrupt the frontier.
    @discardableResult
    public mutating func settle(offset: Int64) -> Bool {
        guard let index = indexOf(offset) else { return false }
        guard remaining[index] > 0 else { return false }
        remaining[index] -= 1
        guard remaining[index] == 0, index == head else { return false }
        while head < offsets.count, remaining[head] == 0 { head += 1 }
        compactIfNeeded()
        return true
    }

    /// Whether `offset` is tracked and still waiting for settlements.
    public func isPending(offset: Int64) -> Bool {
        guard let index = indexOf(offset) else { return false }
        return remaining[index] > 0
    }

    /// Where `offset` is among the pending offsets. Offsets are strictly increasing, so `offset` is
    /// at most `offset - offsets[head]` places after `head`, and exactly there when the partition
    /// has no gaps (the usual case): that place is tried first, then a binary search below it.
    private func indexOf(_ offset: Int64) -> Int? {
        guard head < offsets.count else { return nil }
        let distance = offset &- offsets[head]
        guard distance >= 0 else { return nil }
        var high = offsets.count - 1
        if distance < Int64(offsets.count - head) {
            let guess = head + Int(distance)
            if offsets[guess] == offset { return guess }
            high = guess - 1
        }
        var low = head
        while low <= high {
            let mid = (low + high) / 2
            if offsets[mid] == offset { return mid }
            if offsets[mid] < offset { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    private mutating func compactIfNeeded() {
        if head == offsets.count {
            offsets.removeAll(keepingCapacity: true)
            remaining.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > offsets.count {
            offsets.removeFirst(head)
            remaining.removeFirst(head)
            head = 0
        }
    }
}
