/// When to commit the stored frontier, beyond librdkafka's periodic auto-commit.
///
/// What a crashed relay repeats is everything past the last committed offset: the unsettled
/// events, plus what was settled since that commit. So the policy commits soon after the frontier
/// advances: once ``everyEvents`` offsets moved since the last commit (but not more often than
/// ``minimumSpacingMilliseconds``, to keep the coordinator's load bounded at full speed), or
/// ``intervalMilliseconds`` after the last commit when anything moved at all. One commit at a
/// time: the next waits for the previous one's answer. Pure: the driver passes the time and
/// commits asynchronously when told.
public struct CommitPolicy: Sendable {
    public var intervalMilliseconds: Int64
    public var everyEvents: Int64
    public var minimumSpacingMilliseconds: Int64

    private var advancedSinceCommit: Int64 = 0
    private var lastCommitAt: Int64? = nil
    /// When the commit waiting for its answer was requested (`nil`: none is).
    private var inFlightSince: Int64? = nil
    /// Commits wait until then (a rebalance is probably in progress).
    private var quietUntil: Int64? = nil
    /// A commit with no answer by then counts as finished (librdkafka reports nothing for a
    /// commit that found nothing new to commit, as when the auto-commit got there first).
    public static let answerTimeoutMilliseconds: Int64 = 5_000

    /// Commits at most `1000 / minimumSpacingMilliseconds` times a second.
    public init(intervalMilliseconds: Int64, everyEvents: Int64, minimumSpacingMilliseconds: Int64 = 100) {
        self.intervalMilliseconds = intervalMilliseconds
        self.everyEvents = everyEvents
        self.minimumSpacingMilliseconds = minimumSpacingMilliseconds
    }

    /// Offsets were stored that moved the frontiers by `advanced` in all; returns whether to
    /// commit now.
    public mutating func stored(advanced: Int64, now: Int64) -> Bool {
        advancedSinceCommit += advanced
        return due(now: now)
    }

    /// The driver's periodic check (nothing new stored); returns whether to commit now.
    public mutating func tick(now: Int64) -> Bool { due(now: now) }

    /// The commit's answer arrived. A refused one (a coordinator moving) is tried again once
    /// the interval has passed, even if nothing advances meanwhile.
    public mutating func commitFinished(succeeded: Bool) {
        inFlightSince = nil
        if !succeeded { advancedSinceCommit = max(advancedSinceCommit, 1) }
    }

    /// The coordinator answered a commit with "rebalance in progress": no commit of ours until
    /// the next assignment (or ``rebalanceQuietMilliseconds``). A commit that reaches the
    /// coordinator after it formed the next generation but before this member joined it is
    /// answered ILLEGAL_GENERATION, which librdkafka treats as a lost assignment (the member
    /// drops its partitions, and their unsettled events are repeated); librdkafka's 2.0.2 mock
    /// coordinator answers so (`rd_kafka_mock_cgrp_check_state`), and frequent commits found
    /// that window in the cooperative rebalance scenario. The commit on revoke and librdkafka's
    /// auto-commit still run.
    public mutating func rebalanceSuspected(now: Int64) {
        inFlightSince = nil
        advancedSinceCommit = max(advancedSinceCommit, 1)
        quietUntil = now + Self.rebalanceQuietMilliseconds
    }

    /// An assignment arrived: the rebalance is over for this member.
    public mutating func assigned() {
        quietUntil = nil
    }

    /// The longest pause of commits after "rebalance in progress" when no assignment follows.
    public static let rebalanceQuietMilliseconds: Int64 = 10_000

    private mutating func due(now: Int64) -> Bool {
        if let since = inFlightSince, now - since < Self.answerTimeoutMilliseconds { return false }
        if let quietUntil, now < quietUntil { return false }
        guard advancedSinceCommit > 0 else { return false }
        let sinceLast = lastCommitAt.map { now - $0 } ?? .max
        let byCount = advancedSinceCommit >= everyEvents && sinceLast >= minimumSpacingMilliseconds
        let byTime = sinceLast >= intervalMilliseconds
        guard byCount || byTime else { return false }
        inFlightSince = now
        lastCommitAt = now
        advancedSinceCommit = 0
        return true
    }
}
