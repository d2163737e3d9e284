/// How a destination answered one request, as the decision core sees it.
///
/// The driver maps `RelayDestinations.DeliveryOutcome` (and transport or credential errors) to
/// this, so the core depends on no destination, HTTP client or credential code.
public enum ResponseClass: Sendable, Equatable {
    /// Every event was accepted.
    case delivered
    /// Try again later (throttling, outage, network); `retryAfterSeconds` when the platform said when.
    case retryable(reason: String, retryAfterSeconds: Double?)
    /// The request will never succeed as it is; `isolatable` when one bad event fails the whole
    /// batch, so splitting the batch finds it.
    case rejected(errorClass: String, reason: String, isolatable: Bool)
    /// Processed event by event: these indexes were rejected (with why), the others accepted.
    case partial(rejected: [Int: String])
    /// Nothing was recorded because of these events (index, why); the others were not processed.
    case refused(failing: [Int: String])
    /// The credentials were refused (HTTP 401).
    case unauthorized(reason: String)

    /// Whether it counts as a failure of the destination for readiness. A rejection that bisection
    /// can isolate is not (the destination answered), nor is a per-event partial result.
    public var isDestinationFailure: Bool {
        switch self {
        case .delivered, .partial, .refused, .rejected(_, _, true): false
        case .retryable, .unauthorized, .rejected: true
        }
    }
}

/// The delivery of one batch to one destination: what to do after each response.
///
/// Retryable failures are retried with backoff until the attempts or the hand-off time run out;
/// a 401 refreshes the credentials and resends once; a batch rejected because of one bad event
/// is split in two (bisection) until the bad event is alone; per-event rejections set aside
/// exactly the rejected indexes; a refusal that names its failing events sets those aside and
/// resends the rest. Whatever cannot be delivered is handed to the retry topic, which
/// settles it once the write is acknowledged.
public struct DeliveryAttempt: Sendable {
    /// Limits of one batch's delivery.
    public struct Policy: Sendable, Equatable {
        public var maximumAttempts: Int
        /// An event that has not succeeded within this time is handed to the retry topic.
        public var handoffAfterMilliseconds: Int
        public var backoff: Backoff

        public init(maximumAttempts: Int, handoffAfterMilliseconds: Int, backoff: Backoff) {
            self.maximumAttempts = maximumAttempts
            self.handoffAfterMilliseconds = handoffAfterMilliseconds
            self.backoff = backoff
        }
    }

    /// Why events leave for the retry topic.
    public enum HandOffCause: Sendable, Equatable {
        /// Refused again after a credentials refresh.
        case credentialsRefused
        /// The attempts are used up.
        case retriesExhausted
        /// Failing for longer than the hand-off time.
        case overdue
        /// Rejected and not isolatable (or alone).
        case rejected
    }

    public enum Action: Sendable, Equatable {
        /// Every event is settled.
        case settle
        /// Settle the `accepted` indexes; hand each of `rejected` (index, reason; ascending) to the retry topic alone.
        case settlePartially(accepted: [Int], rejected: [Rejection])
        /// Send again after this many milliseconds (attempt number for logs).
        case retry(afterMilliseconds: Int, attempt: Int)
        /// Refresh the credentials and resend at once.
        case refreshCredentialsAndResend
        /// Deliver `[0, at)` and `[at, count)` as batches of their own.
        case split(at: Int)
        /// Hand each of `rejected` to the retry topic alone and deliver the `resend` indexes
        /// (ascending) again, as a batch of their own, at once.
        case setAsideAndResend(rejected: [Rejection], resend: [Int])
        /// Hand every event to the retry topic with this class and reason.
        case handOff(errorClass: String, reason: String, cause: HandOffCause)
    }

    public struct Rejection: Sendable, Equatable {
        public var index: Int
        public var reason: String
        public init(index: Int, reason: String) {
            self.index = index
            self.reason = reason
        }
    }

    public let policy: Policy
    public let eventCount: Int
    private let startedAt: Int64
    private var attempt = 0
    private var credentialsRefreshed = false
    /// Whether the next request must refresh the credentials first.
    public private(set) var refreshCredentials = false

    /// A batch of `eventCount` events whose first request goes out at `now` (monotonic ms).
    public init(policy: Policy, eventCount: Int, now: Int64) {
        self.policy = policy
        self.eventCount = eventCount
        self.startedAt = now
    }

    /// The next step after `response` arrived at `now`.
    public mutating func decide(
        _ response: ResponseClass, now: Int64, random: inout some RandomNumberGenerator
    ) -> Action {
        refreshCredentials = false
        switch response {
        case .delivered:
            return .settle
        case .unauthorized(let reason):
            guard credentialsRefreshed else {
                // One refresh and an immediate resend; a second 401 means the credentials are wrong.
                credentialsRefreshed = true
                refreshCredentials = true
                return .refreshCredentialsAndResend
            }
            return .handOff(errorClass: "auth", reason: reason, cause: .credentialsRefused)
        case .partial(let rejected):
            let accepted = (0..<eventCount).filter { rejected[$0] == nil }
            let set = rejected.filter { $0.key >= 0 && $0.key < eventCount }.sorted { $0.key < $1.key }
            return .settlePartially(accepted: accepted, rejected: set.map { Rejection(index: $0.key, reason: $0.value) })
        case .refused(let failing):
            let named = failing.filter { $0.key >= 0 && $0.key < eventCount }.sorted { $0.key < $1.key }
            // Indexes that name no event of this batch: find the bad events by bisection instead.
            guard !named.isEmpty, named.count == failing.count else {
                let reason = failing.values.sorted().joined(separator: "; ")
                if eventCount > 1 { return .split(at: eventCount / 2) }
                return .handOff(errorClass: "invalid_event", reason: reason, cause: .rejected)
            }
            let resend = (0..<eventCount).filter { failing[$0] == nil }
            return .setAsideAndResend(rejected: named.map { Rejection(index: $0.key, reason: $0.value) }, resend: resend)
        case .retryable(let reason, let retryAfter):
            attempt += 1
            let delay = policy.backoff.delayMilliseconds(attempt: attempt, retryAfterSeconds: retryAfter, using: &random)
            let overdue = now + Int64(delay) - startedAt > Int64(policy.handoffAfterMilliseconds)
            if overdue { return .handOff(errorClass: "retries_exhausted", reason: reason, cause: .overdue) }
            guard attempt < policy.maximumAttempts else {
                return .handOff(errorClass: "retries_exhausted", reason: reason, cause: .retriesExhausted)
            }
            return .retry(afterMilliseconds: delay, attempt: attempt)
        case .rejected(let errorClass, let reason, let isolatable):
            // One bad event fails the whole request: split to find it, deliver the rest.
            if isolatable, eventCount > 1 { return .split(at: eventCount / 2) }
            return .handOff(errorClass: errorClass, reason: reason, cause: .rejected)
        }
    }
}
