import RelayCore

/// Where a dead-letter replay stands, per partition: it decides when the replay is complete,
/// what to checkpoint, and when it has stalled. No I/O and no clock: the replayer feeds it
/// records, flush results and the time.
///
/// The replay covers each partition from its checkpoint (the replay group's committed offset, or
/// the first offset still stored) up to the end it had when the replay started; records that
/// arrive later are left for the next replay.
public struct ReplayProgress: Sendable, Equatable {
    /// The end offset of each partition when the replay started.
    public let ends: [TopicPartition: Int64]
    /// Where each partition's replay started.
    public let starts: [TopicPartition: Int64]
    /// The next offset to read, per partition (as far as records have been seen).
    public private(set) var positions: [TopicPartition: Int64]
    /// How far records have been handed to the retry topic and acknowledged (checkpointable).
    public private(set) var settled: [TopicPartition: Int64]
    /// When a record last arrived (monotonic milliseconds).
    public private(set) var lastProgressMilliseconds: Int64

    public init(ends: [TopicPartition: Int64], checkpoints: [TopicPartition: Int64?], lowWatermarks: [TopicPartition: Int64], now: Int64) {
        self.ends = ends
        var starts: [TopicPartition: Int64] = [:]
        for (partition, end) in ends {
            let low = lowWatermarks[partition] ?? 0
            starts[partition] = min(end, max(low, (checkpoints[partition] ?? nil) ?? low))
        }
        self.starts = starts
        positions = starts
        settled = starts
        lastProgressMilliseconds = now
    }

    /// Records the replay covers in all.
    public var total: Int64 { ends.reduce(0) { $0 + max(0, $1.value - (starts[$1.key] ?? 0)) } }
    /// Records read so far (within the snapshot).
    public var scanned: Int64 { positions.reduce(0) { $0 + max(0, min($1.value, ends[$1.key] ?? 0) - (starts[$1.key] ?? 0)) } }
    /// Every partition was read up to its end at start.
    public var isComplete: Bool { ends.allSatisfy { (positions[$0.key] ?? 0) >= $0.value } }
    /// Partitions not yet read to their end at start.
    public var unfinished: [TopicPartition] {
        ends.filter { (positions[$0.key] ?? 0) < $0.value }.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// A record was read: `true` when it belongs to the replay (before its partition's end at start).
    public mutating func read(_ position: RecordPosition, now: Int64) -> Bool {
        let partition = position.topicPartition
        lastProgressMilliseconds = now
        positions[partition] = max(positions[partition] ?? 0, position.offset + 1)
        return position.offset < (ends[partition] ?? 0) && position.offset >= (starts[partition] ?? 0)
    }

    /// Everything read so far reached the retry topic: it may be checkpointed.
    public mutating func flushed() {
        for (partition, position) in positions { settled[partition] = min(position, ends[partition] ?? position) }
    }

    /// The offsets to commit for the replay group: only partitions that moved since they started.
    public var checkpoint: [TopicPartition: Int64] { settled.filter { $0.value > (starts[$0.key] ?? 0) } }

    /// No record arrived for `stallAfterMilliseconds` while partitions are unfinished.
    public func hasStalled(now: Int64, stallAfterMilliseconds: Int64) -> Bool {
        !isComplete && now - lastProgressMilliseconds > stallAfterMilliseconds
    }
}
