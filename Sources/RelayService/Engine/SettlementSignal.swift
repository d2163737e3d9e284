import Foundation

/// Wakes threads that wait for settlements (revoke drain, shutdown drain) without polling.
final class SettlementSignal: @unchecked Sendable {
    // NSCondition is used only through lock/wait/broadcast, which it documents as thread-safe.
    private let condition = NSCondition()

    func broadcast() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `isDone()` is true or the monotonic deadline passes. Returns whether it became true.
    /// `isDone` may take other locks; `broadcast` is never called while holding them.
    func wait(untilMonotonicMilliseconds deadline: Int64, isDone: () -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !isDone() {
            let remaining = deadline - MonotonicClock.milliseconds()
            guard remaining > 0 else { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(min(remaining, 100)) / 1000))
        }
        return true
    }
}
