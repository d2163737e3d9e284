import Foundation

/// The platform's clocks read as the `Int64` milliseconds the engine's decisions take: the
/// monotonic clock (`ProcessInfo.systemUptime`) for deadlines, linger and pauses, and the wall
/// clock (`Date`) for event ages and retry due times. Not a clock of its own.
///
/// Reading `clock_gettime` by hand was measured against these (benchmarks/HISTORY.md, "Platform
/// twins"): 23 ns against 47 ns a monotonic reading, 23 ns against 31 ns a wall-clock reading.
/// The engine reads the wall clock once per record and the monotonic clock a few times per
/// polled chunk, so the difference is under 0.1 % of what an order costs: no twin is kept.
enum MonotonicClock {
    static func milliseconds() -> Int64 {
        Int64(ProcessInfo.processInfo.systemUptime * 1000)
    }

    static func epochSeconds() -> Int64 {
        Int64(Date().timeIntervalSince1970)
    }

    static func epochMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
