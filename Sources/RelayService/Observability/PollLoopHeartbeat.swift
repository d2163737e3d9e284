import Synchronization

/// Liveness of an engine's poll loop, for `/healthz`: the loop stamps the heartbeat on every
/// iteration (every 20 ms or less while it runs, paused or not), and a loop that has not stamped
/// for longer than the stall threshold is stuck, so Kubernetes should restart the pod.
///
/// Created stamped, so a loop that never starts counts as stuck after the threshold too.
public final class PollLoopHeartbeat: Sendable {
    private let lastStamp: Atomic<Int64>

    /// `now`: milliseconds on the monotonic clock (tests pass their own).
    public init(now: Int64? = nil) {
        lastStamp = Atomic(now ?? MonotonicClock.milliseconds())
    }

    /// Called by the poll loop once per iteration.
    public func stamp(now: Int64? = nil) {
        lastStamp.store(now ?? MonotonicClock.milliseconds(), ordering: .relaxed)
    }

    public func liveness(now: Int64? = nil, stallAfterMilliseconds: Int64) -> PollLoopLiveness {
        PollLoopLiveness(
            lastStampMilliseconds: lastStamp.load(ordering: .relaxed), nowMilliseconds: now ?? MonotonicClock.milliseconds(),
            stallAfterMilliseconds: stallAfterMilliseconds)
    }
}

/// The verdict on one heartbeat at one moment (no I/O, no clock: unit-testable).
public struct PollLoopLiveness: Sendable, Equatable {
    public var lastStampMilliseconds: Int64
    public var nowMilliseconds: Int64
    public var stallAfterMilliseconds: Int64

    public var millisecondsSinceStamp: Int64 { max(0, nowMilliseconds - lastStampMilliseconds) }
    public var isAlive: Bool { millisecondsSinceStamp <= stallAfterMilliseconds }

    /// How long a healthy loop may go without stamping: one iteration can legitimately block
    /// inside a rebalance callback for the revoke drain (kafka.revoke_drain_timeout_ms), so the
    /// threshold is that plus a minute, and never under a minute.
    public static func stallThreshold(revokeDrainTimeoutMilliseconds: Int) -> Int64 {
        Int64(revokeDrainTimeoutMilliseconds) + 60_000
    }
}
