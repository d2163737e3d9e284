/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
/// a random delay in [0, min(cap, base · 2^attempt)], or the platform's Retry-After when it gave one.
struct Backoff: Sendable {
    var initialMilliseconds: Int
    var maximumMilliseconds: Int

    func delayMilliseconds(attempt: Int, retryAfterSeconds: Double?) -> Int {
        if let retryAfterSeconds {
            return min(maximumMilliseconds, max(0, Int(retryAfterSeconds * 1000)))
        }
        let exponent = min(attempt, 20)
        let ceiling = min(maximumMilliseconds, initialMilliseconds << exponent)
        return Int.random(in: 0...max(ceiling, 1))
    }
}
