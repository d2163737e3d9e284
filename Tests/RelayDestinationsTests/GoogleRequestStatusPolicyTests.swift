import RelayDestinations
import Testing

/// Issue 21 item 9: which accepted Google requests are looked up, when, within which budget, and
/// what each `requestStatus:retrieve` answer counts as. Pure: the time is passed in.
@Suite struct GoogleRequestStatusPolicyTests {
    func settings(sampleEvery: Int = 1, firstPoll: Int64 = 60, maximumPolls: Int = 4, perMinute: Int = 5, perDay: Int = 1_000)
        -> GoogleRequestStatusPolicy.Settings
    {
        var settings = GoogleRequestStatusPolicy.Settings()
        settings.sampleEvery = sampleEvery
        settings.firstPollAfterSeconds = firstPoll
        settings.maximumPolls = maximumPolls
        settings.pollsPerMinute = perMinute
        settings.pollsPerDay = perDay
        return settings
    }

    @Test func samplesOneRequestInNStartingWithTheFirst() {
        var policy = GoogleRequestStatusPolicy(settings: settings(sampleEvery: 20))
        var sampled: [Int] = []
        for index in 0..<100 where policy.accepted(requestID: "r\(index)", now: 1_000) { sampled.append(index) }
        #expect(sampled == [0, 20, 40, 60, 80])
        var off = GoogleRequestStatusPolicy(settings: settings(sampleEvery: 0))
        let answer1 = off.accepted(requestID: "r", now: 0)
        #expect(!answer1)
    }

    @Test func looksUpOnlyAfterGoogleHadTimeToProcess() {
        var policy = GoogleRequestStatusPolicy(settings: settings(firstPoll: 60))
        let answer2 = policy.accepted(requestID: "a", now: 1_000)
        #expect(answer2)
        let answer3 = policy.due(now: 1_059)
        #expect(answer3.isEmpty)
        #expect(policy.nextWakeup(now: 1_000) == 1_060)
        let answer4 = policy.due(now: 1_060)
        #expect(answer4 == ["a"])
        // Not asked twice while its answer is awaited.
        let answer5 = policy.due(now: 1_060)
        #expect(answer5.isEmpty)
    }

    @Test func staysWithinTheMinutesAndTheDaysBudget() {
        var policy = GoogleRequestStatusPolicy(settings: settings(firstPoll: 0, perMinute: 2, perDay: 3))
        for (offset, id) in ["a", "b", "c", "d"].enumerated() { _ = policy.accepted(requestID: id, now: 120 + Int64(offset)) }
        let done = GoogleRequestStatusPolicy.Answer.status(GoogleRequestStatus(state: .success))
        let first = policy.due(now: 130)
        #expect(first == ["a", "b"])
        for id in first { _ = policy.record(requestID: id, answer: done, now: 130) }
        let spent = policy.due(now: 131)
        #expect(spent.isEmpty)  // the minute's two are spent
        #expect(policy.nextWakeup(now: 131) == 180)
        let third = policy.due(now: 180)
        #expect(third == ["c"])  // the day's third
        _ = policy.record(requestID: "c", answer: done, now: 180)
        let none = policy.due(now: 240)
        #expect(none.isEmpty)
        #expect(policy.nextWakeup(now: 240) == 86_400)
        let nextDay = policy.due(now: 86_400)
        #expect(nextDay == ["d"])
    }

    @Test func processingIsAskedAgainLaterThenGivenUp() {
        var policy = GoogleRequestStatusPolicy(settings: settings(firstPoll: 10, maximumPolls: 3))
        _ = policy.accepted(requestID: "a", now: 0)
        let answer11 = policy.due(now: 10)
        #expect(answer11 == ["a"])
        let first = policy.record(requestID: "a", answer: .status(GoogleRequestStatus(state: .processing)), now: 11)
        #expect(first == .init(outcome: "processing", eventErrors: [], logReasons: nil, finished: false))
        let answer12 = policy.due(now: 30)
        #expect(answer12.isEmpty)
        let answer13 = policy.due(now: 31)
        #expect(answer13 == ["a"])  // waited twice as long: 20 s
        let second = policy.record(requestID: "a", answer: .lookupFailed(reason: "http_503"), now: 31)
        #expect(second.outcome == "lookup_failed" && !second.finished)
        let answer14 = policy.due(now: 71)
        #expect(answer14 == ["a"])  // then 40 s
        let last = policy.record(requestID: "a", answer: .status(GoogleRequestStatus(state: .processing)), now: 71)
        #expect(last == .init(outcome: "still_processing", eventErrors: [], logReasons: nil, finished: true))
        #expect(policy.pendingCount == 0 && policy.nextWakeup(now: 72) == nil)
    }

    @Test func partialSuccessCountsEachReasonAndLogsTheFirstFew() {
        var policy = GoogleRequestStatusPolicy(settings: settings(firstPoll: 0))
        _ = policy.accepted(requestID: "a", now: 0)
        _ = policy.due(now: 0)
        let status = GoogleRequestStatus(
            state: .partialSuccess, recordCount: 10,
            errors: [
                .init(reason: "EVENT_TOO_OLD", count: 3), .init(reason: "DENIED_CONSENT", count: 2), .init(reason: "INVALID_GCLID", count: 1),
                .init(reason: "DUPLICATE_TRANSACTION_ID", count: 1), .init(reason: "not a reason!", count: 1),
            ])
        let report = policy.record(requestID: "a", answer: .status(status), now: 1)
        #expect(report.outcome == "partial_success" && report.finished)
        #expect(report.eventErrors.map(\.errorClass) == ["event_too_old", "denied_consent", "invalid_gclid", "duplicate_transaction_id", "other"])
        #expect(report.eventErrors.map(\.count) == [3, 2, 1, 1, 1])
        #expect(report.logReasons == "EVENT_TOO_OLD x3, DENIED_CONSENT x2, INVALID_GCLID x1")
        var clean = GoogleRequestStatusPolicy(settings: settings(firstPoll: 0))
        _ = clean.accepted(requestID: "b", now: 0)
        let cleanReport = clean.record(requestID: "b", answer: .status(GoogleRequestStatus(state: .success, recordCount: 5)), now: 1)
        #expect(cleanReport == .init(outcome: "success", eventErrors: [], logReasons: nil, finished: true))
    }

    @Test func parsesTheRetrieveAnswer() {
        let body = #"""
            {"requestStatusPerDestination":[{"destination":{"productDestinationId":"1"},"requestStatus":"PARTIAL_SUCCESS",
            "errorInfo":{"errorCounts":[{"reason":"EVENT_TOO_OLD","recordCount":"3"}]},"eventsIngestionStatus":{"recordCount":"10"}}]}
            """#
        #expect(GoogleRequestStatus.parse(Array(body.utf8))
            == GoogleRequestStatus(state: .partialSuccess, recordCount: 10, errors: [.init(reason: "EVENT_TOO_OLD", count: 3)]))
        #expect(GoogleRequestStatus.parse(Array(#"{"requestStatusPerDestination":[{"requestStatus":"NEW_STATE"}]}"#.utf8))?.state == .unknown)
        #expect(GoogleRequestStatus.parse(Array(#"{"error":{"code":404}}"#.utf8)) == nil)
    }
}
