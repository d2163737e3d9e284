import Foundation
import RelayCore
import RelayKafka
import RelayService
import Testing

/// Rebalances the coordinator makes hard, against in-memory boundaries: commits refused while
/// the group rebalances, and partitions lost to a session timeout.
@Suite(.timeLimit(.minutes(1))) struct EngineRebalanceTests {
    /// Settles ten orders while the coordinator refuses every commit, then has partition 0
    /// revoked (its commit on revoke refused too); returns the harness with the partition out.
    func settledButUncommittedThenRevoked() async throws -> EngineHarness {
        let harness = EngineHarness()
        let zero = harness.partition(0)
        harness.source.refuseCommits(true)
        harness.publish(10)
        harness.start()
        let settled = await eventually { harness.source.storedOffset(zero) == 10 }
        try #require(settled)
        harness.source.revoke([zero])
        let refused = await eventually { harness.engine.statistics.revokeCommitFailures == 1 && harness.source.assignment.isEmpty }
        try #require(refused)
        #expect(harness.source.committedOffset(zero) == nil)
        harness.source.refuseCommits(false)
        return harness
    }

    /// A partition back after its commit on revoke was refused starts past the events this
    /// member already settled (they are not sent again), and that frontier is committed.
    @Test func aPartitionBackAfterARefusedCommitResumesPastWhatWasSettled() async throws {
        let harness = try await settledButUncommittedThenRevoked()
        let zero = harness.partition(0)
        harness.source.assign([zero])
        let committed = await eventually { harness.source.committedOffset(zero) == 10 }
        #expect(committed)
        harness.publish(2, first: 10)
        let more = await eventually { harness.source.committedOffset(zero) == 12 }
        try await harness.stop()
        #expect(more)
        let sent = harness.http.requests("meta").flatMap(\.orderIDs)
        #expect(sent.sorted() == (0..<12).map { "ORD-0-\($0)" }.sorted(), "each order once")
        #expect(harness.engine.statistics.partitionsResumedPastUncommitted == 1)
    }

    /// The same, but another member owned the partition meanwhile and committed further: the
    /// partition starts at that commit, not at what this member remembers.
    @Test func aPartitionBackStartsAtTheGroupsCommitWhenItIsFurther() async throws {
        let harness = try await settledButUncommittedThenRevoked()
        let zero = harness.partition(0)
        harness.publish(5, first: 10)
        harness.source.commitAsAnotherMember(zero, offset: 12)
        harness.source.assign([zero])
        let committed = await eventually { harness.source.committedOffset(zero) == 15 }
        try await harness.stop()
        #expect(committed)
        let sent = harness.http.requests("meta").flatMap(\.orderIDs)
        #expect(sent.sorted() == ((0..<10).map { "ORD-0-\($0)" } + ["ORD-0-12", "ORD-0-13", "ORD-0-14"]).sorted())
    }

    /// Partitions lost to a session timeout: their state is dropped without storing or
    /// committing anything (the group already gave them to another member), even when the
    /// coordinator would accept a commit.
    @Test func lostPartitionsAreDroppedWithoutCommitting() async throws {
        let harness = EngineHarness(partitions: 2)
        let zero = harness.partition(0), one = harness.partition(1)
        harness.source.refuseCommits(true)
        harness.publish(10, to: 0)
        harness.start()
        let settled = await eventually { harness.source.storedOffset(zero) == 10 }
        #expect(settled)
        harness.source.revoke([zero], lost: true, acceptingCommits: true)
        let lost = await eventually { harness.source.assignment == [one] }
        #expect(lost)
        // A witness: partition 1's orders, settled after the loss, are committed.
        harness.publish(3, to: 1)
        let witnessed = await eventually { harness.source.committedOffset(one) == 3 }
        #expect(witnessed)
        #expect(harness.source.committedOffset(zero) == nil, "a lost partition was committed")
        let health = harness.engine.health
        #expect(health.assignedPartitions == 1)
        #expect(!health.isReady, "not ready until the group assigns partitions again")
        try await harness.stop()
    }
}
