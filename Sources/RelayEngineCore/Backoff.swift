/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
/// a random delay in [0, min(cap, base · 2^attempt)], or the platform's Retry-After when it gave
/// one. The randomness is passed in, so tests choose it.
public struct Backoff: Sendable, Equatable {
    public var initialMilliseconds: Int
    public var maximumMilliseconds: Int

    public init(initialMilliseconds: Int, maximumMilliseconds: Int) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    public func delayMilliseconds(
        attempt: Int, retryAfterSeconds: Double?, using random: inout some RandomNumberGenerator
    ) -> Int {
        if let retryAfterSeconds {
            return min(maximumMilliseconds, max(0, Int(retryAfterSeconds * 1000)))
        }
        let exponent = min(attempt, 20)
        let ceiling = min(maximumMilliseconds, initialMilliseconds << exponent)
        return Int.random(in: 0...max(ceiling, 1), using: &random)
    }
}
