/// A token bucket: `capacity` requests at once, refilled at `ratePerSecond`. Pure: the caller
/// passes the time (monotonic milliseconds) and sleeps for the returned wait.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let ratePerSecond: Double
    private var tokens: Double
    private var updatedAt: Int64?

    /// A bucket for `requestsPerMinute`, allowing bursts of up to a tenth of a minute's budget (at least 1).
    public init(requestsPerMinute: Int) {
        precondition(requestsPerMinute > 0)
        self.init(capacity: max(1, Double(requestsPerMinute) / 10), ratePerSecond: Double(requestsPerMinute) / 60)
    }

    /// A bucket that keeps any 24 hours within `requestsPerDay`: a quarter of the day's budget at
    /// once, the other three quarters refilled evenly over the day (so a burst plus a day's
    /// refill never exceeds the quota, whenever the platform's day starts).
    public init(requestsPerDay: Int) {
        precondition(requestsPerDay > 0)
        self.init(
            capacity: max(1, Double(requestsPerDay) / 4), ratePerSecond: Double(requestsPerDay) * 3 / 4 / 86_400)
    }

    public init(capacity: Double, ratePerSecond: Double) {
        precondition(capacity >= 1 && ratePerSecond > 0)
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        tokens = capacity
    }

    /// Takes one token and returns how long (milliseconds) to wait before using it: 0 when one
    /// was available. Reservations queue: each later caller waits for its own token.
    public mutating func reserve(now: Int64) -> Int64 {
        if let updatedAt {
            tokens = min(capacity, tokens + Double(now - updatedAt) / 1000 * ratePerSecond)
        }
        updatedAt = now
        tokens -= 1
        guard tokens < 0 else { return 0 }
        return Int64((-tokens / ratePerSecond * 1000).rounded(.up))
    }
}

/// A destination's request quotas, per minute and per day (Google Data Manager has both: 300 a
/// minute and 100,000 a day per Cloud project, destinations.md §2): a request waits until both
/// allow it.
public struct RequestPacing: Sendable, Equatable {
    private var perMinute: TokenBucket?
    private var perDay: TokenBucket?

    /// `nil` when there is no quota at all.
    public init?(requestsPerMinute: Int?, requestsPerDay: Int?) {
        guard requestsPerMinute != nil || requestsPerDay != nil else { return nil }
        perMinute = requestsPerMinute.map(TokenBucket.init(requestsPerMinute:))
        perDay = requestsPerDay.map(TokenBucket.init(requestsPerDay:))
    }

    /// Takes a token from each quota and returns how long to wait before sending (milliseconds).
    public mutating func reserve(now: Int64) -> Int64 {
        max(perMinute?.reserve(now: now) ?? 0, perDay?.reserve(now: now) ?? 0)
    }
}
