import RelayEngineCore
import Testing

@Suite struct CommitPolicyTests {
    @Test func commitsOnceEnoughEventsSettledButNotMoreOftenThanTheSpacing() {
        var policy = CommitPolicy(everyEvents: 100, minimumSpacingMilliseconds: 100)
        var commit = policy.stored(advanced: 99, now: 0)
        #expect(!commit)
        commit = policy.stored(advanced: 1, now: 1)
        #expect(commit, "100 events past the last commit")
        policy.commitFinished(succeeded: true)
        commit = policy.stored(advanced: 500, now: 50)
        #expect(!commit, "at most one commit per 100 ms")
        commit = policy.stored(advanced: 0, now: 101)
        #expect(commit, "what moved meanwhile is committed once the spacing allows")
    }

    @Test func oneCommitAtATime() {
        var policy = CommitPolicy(everyEvents: 10)
        var commit = policy.stored(advanced: 10, now: 0)
        #expect(commit)
        commit = policy.stored(advanced: 10, now: 150)
        #expect(!commit, "the previous commit has no answer yet")
        policy.commitFinished(succeeded: true)
        commit = policy.stored(advanced: 0, now: 151)
        #expect(commit)
    }

    @Test func aCommitWithNoAnswerDoesNotBlockTheNextForever() {
        var policy = CommitPolicy(everyEvents: 10)
        var commit = policy.stored(advanced: 10, now: 0)
        #expect(commit)
        commit = policy.stored(advanced: 10, now: CommitPolicy.answerTimeoutMilliseconds - 1)
        #expect(!commit)
        commit = policy.stored(advanced: 0, now: CommitPolicy.answerTimeoutMilliseconds)
        #expect(commit)
    }

    /// At full speed the count triggers on every turn: the spacing bounds the coordinator's load.
    @Test func atFullSpeedCommitsStayAtTenASecond() {
        var policy = CommitPolicy(everyEvents: 1_000)
        var commits = 0
        for now in stride(from: Int64(0), to: 10_000, by: 5) {  // a poll-loop turn every 5 ms
            if policy.stored(advanced: 100, now: now) {  // 20,000 events/s
                commits += 1
                policy.commitFinished(succeeded: true)
            }
        }
        #expect(commits == 100, "ten a second for ten seconds (\(commits))")
    }

    /// "Rebalance in progress" stops our commits until the next assignment: one that reached the
    /// coordinator in the next generation's window would make librdkafka drop the assignment.
    @Test func aRebalanceInProgressHoldsCommitsUntilTheNextAssignment() {
        var policy = CommitPolicy(everyEvents: 10)
        var commit = policy.stored(advanced: 10, now: 0)
        #expect(commit)
        policy.rebalanceSuspected()
        commit = policy.stored(advanced: 1_000, now: 1_000)
        #expect(!commit, "no commit while the group rebalances")
        policy.assigned()
        commit = policy.stored(advanced: 0, now: 1_001)
        #expect(commit, "what settled meanwhile is committed once assigned")
    }

    /// No fixed quiet time: a cooperative rebalance waiting on a slow revoke drain outlasts any.
    @Test func commitsStayQuietUntilTheCoordinatorAcceptsACommitAgain() {
        var policy = CommitPolicy(everyEvents: 10)
        policy.rebalanceSuspected()
        var commit = policy.stored(advanced: 10, now: 60_000)
        #expect(!commit, "still quiet a minute later")
        policy.commitFinished(succeeded: false)
        commit = policy.stored(advanced: 0, now: 60_001)
        #expect(!commit, "a refused auto-commit does not end it")
        policy.commitFinished(succeeded: true)
        commit = policy.stored(advanced: 0, now: 60_002)
        #expect(commit, "an accepted auto-commit does")
    }
}
