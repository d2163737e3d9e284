import RelayCore
import RelayEngineCore
import Testing

@Suite struct DeliveryAttemptTests {
    static let policy = DeliveryAttempt.Policy(
        maximumAttempts: 4, handoffAfterMilliseconds: 60_000,
        backoff: Backoff(initialMilliseconds: 100, maximumMilliseconds: 5_000))

    @Test func anAcceptedBatchSettles() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 5, now: 0)
        var random = SplitMix64(seed: 42)
        #expect(attempt.decide(.delivered, now: 10, random: &random) == .settle)
    }

    @Test func retryableFailuresBackOffThenHandOffWhenTheAttemptsRunOut() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 5, now: 0)
        var random = MaximumRandom()
        let failure = ResponseClass.retryable(reason: "HTTP 503", retryAfterSeconds: nil)
        // Full jitter up to min(cap, 100 · 2^attempt): the generator's maximum gives the ceiling.
        #expect(attempt.decide(failure, now: 0, random: &random) == .retry(afterMilliseconds: 200, attempt: 1))
        #expect(attempt.decide(failure, now: 0, random: &random) == .retry(afterMilliseconds: 400, attempt: 2))
        #expect(attempt.decide(failure, now: 0, random: &random) == .retry(afterMilliseconds: 800, attempt: 3))
        #expect(
            attempt.decide(failure, now: 0, random: &random)
                == .handOff(errorClass: "retries_exhausted", reason: "HTTP 503", cause: .retriesExhausted))
    }

    @Test func retryAfterIsHonouredUpToTheCap() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 1, now: 0)
        var random = SplitMix64(seed: 42)
        #expect(
            attempt.decide(.retryable(reason: "429", retryAfterSeconds: 2), now: 0, random: &random)
                == .retry(afterMilliseconds: 2_000, attempt: 1))
        #expect(
            attempt.decide(.retryable(reason: "429", retryAfterSeconds: 60), now: 0, random: &random)
                == .retry(afterMilliseconds: 5_000, attempt: 2))
    }

    /// Hand-off: a destination failing for longer than handoff_after_ms hands its events to the
    /// retry topic, so it never holds the partition's commit.
    @Test func aBatchFailingPastTheHandOffTimeGoesToTheRetryTopic() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 3, now: 1_000)
        var random = SplitMix64(seed: 42)
        let failure = ResponseClass.retryable(reason: "timeout", retryAfterSeconds: 1)
        #expect(attempt.decide(failure, now: 59_000, random: &random) == .retry(afterMilliseconds: 1_000, attempt: 1))
        #expect(attempt.decide(failure, now: 60_001, random: &random) == .handOff(errorClass: "retries_exhausted", reason: "timeout", cause: .overdue))
    }

    @Test func aRefusedCredentialIsRefreshedOnceThenHandedOff() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 2, now: 0)
        var random = SplitMix64(seed: 42)
        #expect(!attempt.refreshCredentials)
        #expect(attempt.decide(.unauthorized(reason: "401"), now: 0, random: &random) == .refreshCredentialsAndResend)
        #expect(attempt.refreshCredentials, "the resend forces a refresh")
        #expect(
            attempt.decide(.unauthorized(reason: "401"), now: 0, random: &random)
                == .handOff(errorClass: "auth", reason: "401", cause: .credentialsRefused))
        #expect(!attempt.refreshCredentials)
    }

    /// Bisection: a batch rejected because of one bad event is split until the bad event is
    /// alone; every half without it is delivered.
    @Test func bisectionIsolatesTheOneBadEvent() {
        let events = Array(0..<13)
        let bad = 9
        var delivered: [Int] = []
        var handedOff: [Int] = []
        var requests = 0
        func deliver(_ batch: ArraySlice<Int>) {
            var attempt = DeliveryAttempt(policy: Self.policy, eventCount: batch.count, now: 0)
            var random = SplitMix64(seed: 42)
            requests += 1
            let response: ResponseClass =
                batch.contains(bad) ? .rejected(errorClass: "invalid", reason: "bad field", isolatable: true) : .delivered
            switch attempt.decide(response, now: 0, random: &random) {
            case .settle: delivered += batch
            case .split(let middle):
                deliver(batch.prefix(middle))
                deliver(batch.dropFirst(middle))
            case .handOff: handedOff += batch
            default: Issue.record("unexpected action")
            }
        }
        deliver(events[...])
        #expect(handedOff == [bad])
        #expect(delivered.sorted() == events.filter { $0 != bad })
        #expect(requests <= 2 * 4 + 1, "logarithmic in the batch size (\(requests))")
    }

    @Test func aRejectionThatCannotBeIsolatedHandsTheWholeBatchOff() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 4, now: 0)
        var random = SplitMix64(seed: 42)
        #expect(
            attempt.decide(.rejected(errorClass: "bad_request", reason: "x", isolatable: false), now: 0, random: &random)
                == .handOff(errorClass: "bad_request", reason: "x", cause: .rejected))
    }

    /// Partial rejection sets aside exactly the rejected indexes (out-of-range ones ignored).
    @Test func aPartialResultSetsAsideExactlyTheRejectedIndexes() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 5, now: 0)
        var random = SplitMix64(seed: 42)
        let action = attempt.decide(.partial(rejected: [3: "bad email", 1: "bad phone", 7: "?"]), now: 0, random: &random)
        #expect(
            action
                == .settlePartially(
                    accepted: [0, 2, 4],
                    rejected: [.init(index: 1, reason: "bad phone"), .init(index: 3, reason: "bad email")]))
    }

    /// A refusal that names its failing events sets exactly those aside and resends the others at
    /// once, without bisection or backoff.
    @Test func aRefusalNamingItsFailingEventSetsItAsideAndResendsTheRest() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 4, now: 0)
        var random = SplitMix64(seed: 42)
        #expect(
            attempt.decide(.refused(failing: [2: "INVALID event 2"]), now: 0, random: &random)
                == .setAsideAndResend(rejected: [.init(index: 2, reason: "INVALID event 2")], resend: [0, 1, 3]))
    }

    /// An index outside the batch names no event of it: bisection finds the bad ones instead.
    @Test func aRefusalNamingNoEventOfTheBatchFallsBackToBisection() {
        var attempt = DeliveryAttempt(policy: Self.policy, eventCount: 4, now: 0)
        var random = SplitMix64(seed: 42)
        #expect(attempt.decide(.refused(failing: [9: "x"]), now: 0, random: &random) == .split(at: 2))
        var alone = DeliveryAttempt(policy: Self.policy, eventCount: 1, now: 0)
        #expect(
            alone.decide(.refused(failing: [1: "x"]), now: 0, random: &random)
                == .handOff(errorClass: "invalid_event", reason: "x", cause: .rejected))
    }

    @Test func readinessCountsOnlyFailuresOfTheDestination() {
        #expect(!ResponseClass.delivered.isDestinationFailure)
        #expect(!ResponseClass.partial(rejected: [0: "x"]).isDestinationFailure)
        #expect(!ResponseClass.refused(failing: [0: "x"]).isDestinationFailure)
        #expect(!ResponseClass.rejected(errorClass: "x", reason: "y", isolatable: true).isDestinationFailure)
        #expect(ResponseClass.rejected(errorClass: "x", reason: "y", isolatable: false).isDestinationFailure)
        #expect(ResponseClass.retryable(reason: "x", retryAfterSeconds: nil).isDestinationFailure)
        #expect(ResponseClass.unauthorized(reason: "x").isDestinationFailure)
    }
}
