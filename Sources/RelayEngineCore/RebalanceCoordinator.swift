import RelayCore

/// What a member remembers across rebalances: how far it settled partitions it lost while the
/// coordinator refused the commit on revoke, so that if they come back to it, reading resumes
/// past that instead of from an older committed offset (repeating work it already delivered).
///
/// The trigger is an eager rebalance: librdkafka's 2.0.2 mock coordinator, like a broker in
/// PreparingRebalance for a non-member, refuses OffsetCommit while the group rebalances
/// (`rd_kafka_mock_cgrp_check_state`). Pure: the driver commits and asks for committed offsets.
public struct RebalanceCoordinator: Sendable {
    private var settledUncommitted: [TopicPartition: Int64] = [:]
    /// Starting offsets decided for the assignment being made (between librdkafka's asking for
    /// them and the assignment itself).
    private var resuming: [TopicPartition: Int64] = [:]

    public init() {}

    /// The commit on revoke succeeded: nothing to remember for these partitions.
    public mutating func revokeCommitted(_ revoked: Set<TopicPartition>) {
        for partition in revoked { settledUncommitted[partition] = nil }
    }

    /// The commit on revoke was refused: remember how far each partition was settled.
    public mutating func revokeCommitRefused(settled: [TopicPartition: Int64]) {
        settledUncommitted.merge(settled) { max($0, $1) }
    }

    /// Partitions about to be assigned that this member remembers settling further than it could
    /// commit, with those offsets (taken: asked once per assignment). The driver then asks the
    /// group's committed offsets for them and calls ``startingOffsets(remembered:committed:)``.
    public mutating func claimRemembered(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        var remembered: [TopicPartition: Int64] = [:]
        for partition in partitions {
            if let offset = settledUncommitted.removeValue(forKey: partition) { remembered[partition] = offset }
        }
        return remembered
    }

    /// Where the remembered partitions start: past what this member settled, unless the group
    /// committed further meanwhile (another member's work). Every event below such an offset was
    /// delivered to every destination by this process, so skipping them loses nothing; a
    /// partition whose committed offset is unknown (`nil` or missing) starts at the remembered one.
    public static func startingOffsets(
        remembered: [TopicPartition: Int64], committed: [TopicPartition: Int64?]
    ) -> [TopicPartition: Int64] {
        remembered.filter { partition, offset in offset > ((committed[partition] ?? nil) ?? -1) }
    }

    /// Remembers the starting offsets just decided, for the assignment that follows.
    public mutating func resume(at starts: [TopicPartition: Int64]) {
        resuming.merge(starts) { $1 }
    }

    /// The starting offsets of the assignment being made (taken): the ledger starts those
    /// partitions' frontiers there (``SettlementLedger/assign(_:startingAt:)``).
    public mutating func takeResumed(_ assigned: [TopicPartition]) -> [TopicPartition: Int64] {
        var starts: [TopicPartition: Int64] = [:]
        for partition in assigned {
            if let offset = resuming.removeValue(forKey: partition) { starts[partition] = offset }
        }
        return starts
    }
}
