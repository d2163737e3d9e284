import RelayCore

/// What the relay has consumed and settled, per assigned partition: the frontiers, and which
/// offsets were handed to Kafka to store.
///
/// An event is settled once every destination acknowledged it or it was durably written to the
/// retry or dead-letter topic; a partition's frontier (``PartitionFrontier``) is the offset below
/// which everything is settled, and only that is ever stored. Each assignment starts a new
/// generation, so a late settlement from an earlier ownership of a partition is ignored.
/// Pure: no Kafka; the driver performs what the returned values say.
public struct SettlementLedger: Sendable {
    struct Partition: Sendable {
        var frontier = PartitionFrontier()
        var generation: UInt64
        /// The offset last handed to the consumer to store.
        var stored: Int64?
        /// Whether the partition is in `dirty` (so marking it again needs no hashing).
        var isDirty = false

        /// Its share of ``SettlementLedger/readAhead``: the offsets from its frontier to the
        /// highest one consumed.
        var readAhead: Int64 {
            guard let next = frontier.nextOffset, let frontier = frontier.committableOffset else { return 0 }
            return next - frontier
        }
    }

    private(set) var partitions: [TopicPartition: Partition] = [:]
    private var dirty: Set<TopicPartition> = []
    private var generation: UInt64 = 0
    /// How far consumption ran ahead of the settled frontiers: per assigned partition, the offsets
    /// from its frontier to the highest one consumed, summed. Everything in it may be delivered
    /// again after a crash (what lies below it, only if it was not committed yet), so
    /// ``ReadAheadWindow`` bounds it (`delivery.read_ahead_events`). Kept up to date by every
    /// change to a frontier: the poll loop asks for it every turn, and summing it over every
    /// assigned partition each time cost a pass over hundreds of them.
    public private(set) var readAhead: Int64 = 0
    /// Whether an assignment arrived and was not lost since (readiness).
    public private(set) var assignmentReceived = false

    public init() {}

    /// The partitions assigned here.
    public var assigned: [TopicPartition] { Array(partitions.keys) }
    public var assignedCount: Int { partitions.count }

    /// Starts a new generation for `assigned`; returns it. A partition in `startingAt` (resumed
    /// past what this member settled, see ``RebalanceCoordinator``) starts its frontier there, to
    /// be stored at once: were it revoked again before a record arrived, how far it is settled
    /// would otherwise be unknown, and its next owner would repeat everything from the older
    /// committed offset.
    @discardableResult
    public mutating func assign(_ assigned: [TopicPartition], startingAt: [TopicPartition: Int64] = [:]) -> UInt64 {
        generation += 1
        assignmentReceived = true
        for partition in assigned {
            let resumed = startingAt[partition] != nil
            readAhead -= partitions[partition]?.readAhead ?? 0
            partitions[partition] = Partition(
                frontier: PartitionFrontier(startingAt: startingAt[partition]), generation: generation, isDirty: resumed)
            if resumed { dirty.insert(partition) }
        }
        return generation
    }

    /// The generation `partition` is owned in, or `nil` when it is not assigned here.
    public func generation(of partition: TopicPartition) -> UInt64? { partitions[partition]?.generation }

    /// The generation `partition` is owned in, or `nil` when it is not assigned here, looked up
    /// through `cursor` (see ``Cursor``).
    public mutating func generation(of partition: TopicPartition, cursor: inout Cursor) -> UInt64? {
        guard let index = locate(partition, cursor: &cursor) else { return nil }
        return withPartition(at: index) { $0.generation }
    }

    /// Starts tracking a consumed record that needs `settlements` acknowledgements (none: it is
    /// settled at once).
    public mutating func track(_ position: RecordPosition, settlements: Int) {
        var cursor = Cursor()
        track(position, settlements: settlements, cursor: &cursor)
    }

    /// Starts tracking a consumed record (see ``track(_:settlements:)``), through `cursor`: a
    /// polled chunk's long runs of one partition look it up once.
    public mutating func track(_ position: RecordPosition, settlements: Int, cursor: inout Cursor) {
        guard let index = locate(position.topicPartition, cursor: &cursor) else { return }
        readAhead += withPartition(at: index) { partition in
            let before = partition.readAhead
            partition.frontier.track(offset: position.offset, settlements: settlements)
            return partition.readAhead - before
        }
        markDirty(index)
    }

    /// Records one settlement, through `cursor` (which remembers the last partition, so a batch's
    /// long runs of one partition look it up once). Ignored for another generation.
    public mutating func settle(_ position: borrowing RecordPosition, generation: UInt64, cursor: inout Cursor) {
        guard let index = locate(position.topicPartition, cursor: &cursor) else { return }
        let offset = position.offset
        let advanced = withPartition(at: index) { partition -> Int64? in
            let before = partition.readAhead
            guard partition.generation == generation, partition.frontier.settle(offset: offset) else { return nil }
            return partition.readAhead - before
        }
        if let advanced {
            readAhead += advanced
            markDirty(index)
        }
    }

    /// Records one settlement (see ``settle(_:generation:cursor:)``).
    public mutating func settle(_ position: RecordPosition, generation: UInt64) {
        var cursor = Cursor()
        settle(position, generation: generation, cursor: &cursor)
    }

    /// Where a lookup through it last found a partition. Valid while no partition is assigned
    /// or revoked (the driver uses one per locked section).
    public struct Cursor {
        var last: (topicPartition: TopicPartition, index: Dictionary<TopicPartition, Partition>.Index)?
        public init() {}
    }

    private func locate(_ partition: TopicPartition, cursor: inout Cursor) -> Dictionary<TopicPartition, Partition>.Index? {
        if let last = cursor.last, last.topicPartition == partition { return last.index }
        guard let found = partitions.index(forKey: partition) else {
            cursor.last = nil
            return nil
        }
        cursor.last = (partition, found)
        return found
    }

    /// Puts the partition at `index` in `dirty` unless it is there already.
    private mutating func markDirty(_ index: Dictionary<TopicPartition, Partition>.Index) {
        let wasDirty = withPartition(at: index) { partition in
            defer { partition.isDirty = true }
            return partition.isDirty
        }
        if !wasDirty { dirty.insert(partitions.keys[index]) }
    }

    /// The partition at `index`, in place. Reading a field through `partitions.values[index]`
    /// copies the whole `Partition` (retaining and releasing its frontier's buffers); this does not.
    @inline(__always)
    private mutating func withPartition<Result>(
        at index: Dictionary<TopicPartition, Partition>.Index, _ body: (inout Partition) -> Result
    ) -> Result {
        body(&partitions.values[index])
    }

    /// The frontiers that moved past what was stored, marked stored: the offsets to store now.
    /// `advanced` is how many offsets they moved by in all.
    public mutating func takeOffsetsToStore() -> (offsets: [TopicPartition: Int64], advanced: Int64) {
        var offsets: [TopicPartition: Int64] = [:]
        var advanced: Int64 = 0
        for partition in dirty {
            partitions[partition]?.isDirty = false
            guard let offset = partitions[partition]?.frontier.committableOffset else { continue }
            let stored = partitions[partition]!.stored
            if offset > stored ?? -1 {
                offsets[partition] = offset
                advanced += stored.map { offset - $0 } ?? 1
                partitions[partition]!.stored = offset
            }
        }
        dirty.removeAll(keepingCapacity: true)
        return (offsets, advanced)
    }


    /// The stored offset of each assigned partition (gauges).
    public var storedOffsets: [TopicPartition: Int64] { partitions.compactMapValues(\.stored) }

    /// Whether every consumed event of `scope` (all assigned partitions when `nil`) is settled.
    public func isSettled(_ scope: Set<TopicPartition>? = nil) -> Bool {
        guard let scope else { return partitions.values.allSatisfy { $0.frontier.pendingCount == 0 } }
        return scope.allSatisfy { (partitions[$0]?.frontier.pendingCount ?? 0) == 0 }
    }

    /// For a revoke: the frontiers of `revoked` past their stored offset (to store now, marked
    /// stored), and how far each revoked partition is settled (that, or what was stored before).
    public mutating func settleRevoked(_ revoked: Set<TopicPartition>) -> (store: [TopicPartition: Int64], settled: [TopicPartition: Int64]) {
        var store: [TopicPartition: Int64] = [:]
        var settled: [TopicPartition: Int64] = [:]
        for partition in revoked {
            let stored = partitions[partition]?.stored
            if let offset = partitions[partition]?.frontier.committableOffset, offset > stored ?? -1 {
                store[partition] = offset
                partitions[partition]!.stored = offset
            }
            settled[partition] = store[partition] ?? stored
        }
        return (store, settled)
    }

    /// The member lost its session (its partitions were lost, not revoked): it is not ready until
    /// the group assigns it partitions again.
    public mutating func assignmentLost() {
        assignmentReceived = false
    }

    /// Drops the state of revoked (or lost) partitions.
    public mutating func forget(_ revoked: Set<TopicPartition>) {
        for partition in revoked {
            readAhead -= partitions[partition]?.readAhead ?? 0
            partitions[partition] = nil
            dirty.remove(partition)
        }
    }
}
