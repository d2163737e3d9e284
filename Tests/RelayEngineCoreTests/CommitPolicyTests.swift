import RelayEngineCore
import Testing

@Suite struct CommitPolicyTests {
    @Test func commitsOnceEnoughEventsSettledButNotMoreOftenThanTheSpacing() {
        var policy = CommitPolicy(intervalMilliseconds: 1_000, everyEvents: 100, minimumSpacingMilliseconds: 100)
        do {
            let commit = policy.stored(advanced: 1, now: 0)
            #expect(commit, "the first commit goes at once")
            policy.commitFinished(succeeded: true)
        }
        do {
            let commit = policy.stored(advanced: 99, now: 200)
            #expect(!commit)
        }
        do {
            let commit = policy.stored(advanced: 1, now: 201)
            #expect(commit, "100 events past the last commit")
        }
        policy.commitFinished(succeeded: true)
        do {
            let commit = policy.stored(advanced: 500, now: 250)
            #expect(!commit, "at most one commit per 100 ms")
        }
        do {
            let commit = policy.tick(now: 301)
            #expect(commit)
        }
    }

    @Test func commitsAfterTheIntervalWhenAnythingMoved() {
        var policy = CommitPolicy(intervalMilliseconds: 200, everyEvents: 1_000)
        do {
            let commit = policy.stored(advanced: 1, now: 0)
            #expect(commit, "the first commit goes at once")
        }
        policy.commitFinished(succeeded: true)
        do {
            let commit = policy.stored(advanced: 1, now: 100)
            #expect(!commit)
        }
        do {
            let commit = policy.tick(now: 200)
            #expect(commit)
        }
        policy.commitFinished(succeeded: true)
        do {
            let commit = policy.tick(now: 10_000)
            #expect(!commit, "nothing moved: nothing to commit")
        }
    }

    @Test func oneCommitAtATimeAndARefusedOneIsTriedAgain() {
        var policy = CommitPolicy(intervalMilliseconds: 200, everyEvents: 10)
        do {
            let commit = policy.stored(advanced: 10, now: 0)
            #expect(commit)
        }
        do {
            let commit = policy.stored(advanced: 10, now: 150)
            #expect(!commit, "the previous commit has no answer yet")
        }
        policy.commitFinished(succeeded: false)
        do {
            let commit = policy.tick(now: 200)
            #expect(commit)
        }
        policy.commitFinished(succeeded: false)
        do {
            let commit = policy.tick(now: 300)
            #expect(!commit)
        }
        do {
            let commit = policy.tick(now: 400)
            #expect(commit, "refused again: retried after the interval although nothing moved")
        }
    }

    @Test func aCommitWithNoAnswerDoesNotBlockTheNextForever() {
        var policy = CommitPolicy(intervalMilliseconds: 200, everyEvents: 10)
        do {
            let commit = policy.stored(advanced: 10, now: 0)
            #expect(commit)
        }
        do {
            let commit = policy.stored(advanced: 10, now: CommitPolicy.answerTimeoutMilliseconds - 1)
            #expect(!commit)
        }
        do {
            let commit = policy.tick(now: CommitPolicy.answerTimeoutMilliseconds)
            #expect(commit)
        }
    }

    /// At full speed the count triggers every time: the spacing bounds the coordinator's load.
    @Test func atFullSpeedCommitsStayAtTenASecond() {
        var policy = CommitPolicy(intervalMilliseconds: 200, everyEvents: 1_000)
        var commits = 0
        for now in stride(from: Int64(0), to: 10_000, by: 5) {  // a poll-loop turn every 5 ms
            if policy.stored(advanced: 100, now: now) {  // 20,000 events/s
                commits += 1
                policy.commitFinished(succeeded: true)
            }
        }
        #expect(commits == 100, "ten a second for ten seconds (\(commits))")
    }
}

@Suite struct CommitPolicyRebalanceTests {
    /// "Rebalance in progress" stops our commits until the next assignment: one that reached the
    /// coordinator in the next generation's window would make librdkafka drop the assignment.
    @Test func aRebalanceInProgressHoldsCommitsUntilTheNextAssignment() {
        var policy = CommitPolicy(intervalMilliseconds: 200, everyEvents: 10)
        var commit = policy.stored(advanced: 10, now: 0)
        #expect(commit)
        policy.rebalanceSuspected(now: 100)
        commit = policy.stored(advanced: 1_000, now: 1_000)
        #expect(!commit, "no commit while the group rebalances")
        policy.assigned()
        commit = policy.tick(now: 1_001)
        #expect(commit, "what settled meanwhile is committed once assigned")
    }

    @Test func withoutAnAssignmentCommitsResumeAfterTheQuietTime() {
        var policy = CommitPolicy(intervalMilliseconds: 200, everyEvents: 10)
        policy.rebalanceSuspected(now: 0)
        var commit = policy.tick(now: CommitPolicy.rebalanceQuietMilliseconds - 1)
        #expect(!commit)
        commit = policy.tick(now: CommitPolicy.rebalanceQuietMilliseconds)
        #expect(commit)
    }
}
