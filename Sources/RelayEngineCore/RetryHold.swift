import RelayCore

/// The retry topic's rule: a record is re-sent only once its not-before time has come, and
/// nothing after it in its partition is processed meanwhile.
///
/// A record not due yet *holds* its partition: the driver pauses it (the poll loop keeps running)
/// and, once the record is due, seeks back to it so the next poll returns it again. Records of a
/// held partition fetched before the pause took effect are dropped (re-read after the seek).
/// Pure: the driver passes the wall-clock time (epoch milliseconds, as in the envelope).
public struct RetryHold: Sendable {
    public enum Admission: Sendable, Equatable {
        /// Due: process it.
        case process
        /// Not due: the partition is now held at this record (pause it).
        case hold
        /// The partition is already held: drop the record (it is read again after the seek).
        case drop
    }

    private var held: [TopicPartition: (offset: Int64, dueMilliseconds: Int64)] = [:]

    public init() {}

    /// The partitions held (to keep paused).
    public var heldPartitions: Set<TopicPartition> { Set(held.keys) }
    public var isEmpty: Bool { held.isEmpty }

    /// Decides about a record from the retry topic due at `notBefore` (`nil`: at once).
    public mutating func admit(_ position: RecordPosition, notBefore: Int64?, now: Int64) -> Admission {
        guard held[position.topicPartition] == nil else { return .drop }
        let due = notBefore ?? 0
        guard due > now else { return .process }
        held[position.topicPartition] = (position.offset, due)
        return .hold
    }

    /// The held records now due, released: seek each partition back to its offset.
    public mutating func releaseDue(now: Int64) -> [(partition: TopicPartition, offset: Int64)] {
        let due = held.filter { $0.value.dueMilliseconds <= now }.map { (partition: $0.key, offset: $0.value.offset) }
        for (partition, _) in due { held[partition] = nil }
        return due
    }

    /// The earliest time a held record becomes due.
    public var nextDue: Int64? { held.values.map(\.dueMilliseconds).min() }

    public mutating func forget(_ revoked: Set<TopicPartition>) {
        for partition in revoked { held[partition] = nil }
    }
}
