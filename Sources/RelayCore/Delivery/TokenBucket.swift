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
        ratePerSecond = Double(requestsPerMinute) / 60
        capacity = max(1, Double(requestsPerMinute) / 10)
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
