/// Counters the engine keeps; the demo prints them and tests assert on them.
/// Labels are destination names and reason classes only: never an order id or identifier.
public struct RelayStatistics: Sendable, Equatable {
    public var consumed = 0
    public var valid = 0
    /// Records that failed decoding, written to the retry topic.
    public var poison = 0
    /// Events acknowledged, per destination.
    public var delivered: [String: Int] = [:]
    /// Events not sent to a destination, per destination and reason (`no_consent`, `too_old`, …).
    public var excluded: [String: [String: Int]] = [:]
    /// Events handed to the retry topic for one destination after rejection or exhausted retries.
    public var handedToRetryTopic: [String: Int] = [:]
    /// Events written to the dead-letter topic for one destination.
    public var deadLettered: [String: Int] = [:]
    /// Requests sent, per destination.
    public var requests: [String: Int] = [:]
    /// Retried requests, per destination.
    public var retries: [String: Int] = [:]
    /// Writes to the retry and dead-letter topics that were acknowledged.
    public var retryTopicWrites = 0
    public var deadLetterTopicWrites = 0
    /// `rd_kafka_offsets_store` refusals for partitions no longer owned (late completions).
    public var staleOffsetStores = 0
    /// Times backpressure paused consumption (watermarks or memory budget).
    public var backpressurePauses = 0
    /// Commits on revoke the group coordinator refused (the next owner then repeats what was
    /// settled since the last commit; the platforms deduplicate it by event id).
    public var revokeCommitFailures = 0
    /// Partitions that came back to this member after such a refusal and resumed past what it had
    /// settled, instead of repeating it from the older committed offset.
    public var partitionsResumedPastUncommitted = 0
    /// Rebalance callbacks by kind: `assigned`, `revoked`, `lost`.
    public var rebalances: [String: Int] = [:]

    public init() {}
}
