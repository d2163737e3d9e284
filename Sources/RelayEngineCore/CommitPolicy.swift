/// When to commit the settled frontier, beyond librdkafka's auto-commit.
///
/// What a crashed relay repeats is everything past the last committed offset: the unsettled
/// events, plus what was settled since that commit. Two things keep the second part small:
/// librdkafka's auto-commit of the stored offsets every `delivery.commit_interval_ms` (the driver
/// sets `auto.commit.interval.ms` from it), and this policy, which commits as soon as the
/// frontiers moved ``everyEvents`` offsets since its last commit, at most once per
/// ``minimumSpacingMilliseconds`` (ten a second by default), so a fast relay does not wait for
/// the timer (``everyEvents`` 0: never; the relay's default, see below). One commit at a time:
/// the next waits for the previous one's answer.
///
/// Around rebalances the policy stays quiet. A commit that reaches the coordinator after it
/// formed the next generation but before this member joined it is answered ILLEGAL_GENERATION,
/// which librdkafka treats as a lost assignment (the member drops its partitions and their
/// unsettled events are repeated). librdkafka's 2.0.2 mock coordinator answers so during every
/// rebalance (`rd_kafka_mock_cgrp_check_state`), and commits ten times a second found that
/// window in the cooperative rebalance scenario (a real broker answers REBALANCE_IN_PROGRESS
/// there). So after a "rebalance in progress" answer the policy commits nothing until the next
/// assignment or until the coordinator accepts a commit again (librdkafka's auto-commit, which
/// it does not send mid-rebalance, keeps running). A fixed quiet time was not enough: a
/// cooperative rebalance that waited on a slow revoke drain outlasted ten seconds, and the next
/// commit lost the assignment. Even so, commits of our own lost it in two of three runs of
/// that scenario (none in two runs without them), so `delivery.commit_every_events` is off by
/// default. Pure: the driver passes the time.
public struct CommitPolicy: Sendable {
    public var everyEvents: Int64
    public var minimumSpacingMilliseconds: Int64

    private var advancedSinceCommit: Int64 = 0
    private var lastCommitAt: Int64? = nil
    /// When the commit waiting for its answer was requested (`nil`: none is).
    private var inFlightSince: Int64? = nil
    /// A rebalance is probably in progress: no commit of ours.
    private var quiet = false

    public init(everyEvents: Int64, minimumSpacingMilliseconds: Int64 = 100) {
        self.everyEvents = everyEvents
        self.minimumSpacingMilliseconds = minimumSpacingMilliseconds
    }

    /// A commit with no answer by then counts as finished (librdkafka reports nothing for a
    /// commit that found nothing new to commit, as when the auto-commit got there first).
    public static let answerTimeoutMilliseconds: Int64 = 5_000

    /// Offsets were stored that moved the frontiers by `advanced` in all; returns whether to
    /// commit now.
    public mutating func stored(advanced: Int64, now: Int64) -> Bool {
        advancedSinceCommit += advanced
        if let since = inFlightSince, now - since < Self.answerTimeoutMilliseconds { return false }
        if quiet { return false }
        guard everyEvents > 0, advancedSinceCommit >= everyEvents else { return false }
        if let lastCommitAt, now - lastCommitAt < minimumSpacingMilliseconds { return false }
        inFlightSince = now
        lastCommitAt = now
        advancedSinceCommit = 0
        return true
    }

    /// A commit's answer arrived (ours or the auto-commit's; a failed one is covered by the
    /// next). An accepted one means the group is steady again.
    public mutating func commitFinished(succeeded: Bool) {
        inFlightSince = nil
        if succeeded { quiet = false }
    }

    /// The coordinator answered a commit with "rebalance in progress": no commit of ours until
    /// the next assignment, or until a commit is accepted again.
    public mutating func rebalanceSuspected() {
        inFlightSince = nil
        quiet = true
    }

    /// An assignment arrived: the rebalance is over for this member.
    public mutating func assigned() { quiet = false }
}
