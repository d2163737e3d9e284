/// How far consumption may run ahead of the settled frontiers (`delivery.read_ahead_events`).
///
/// A relay that dies repeats, per destination, what it sent past the last committed offsets
/// (requests in flight at the kill included: the platform still reads them): the events read
/// past the settled frontiers that this destination already took, plus what was settled since
/// the last commit. Without this window only the watermarks (20,000 events per destination by
/// default) bounded the first part, so a fast destination ran thousands of events ahead of the
/// slowest one; in the SIGKILL process test (12,000 orders, five destinations) the debug build
/// had read 4,000 to 7,000 offsets past its frontiers and the release build all 12,000, and
/// nearly all of them were sent (up to 8,264 repeats per destination; 3,770 with the window).
///
/// The window is a sliding one, counted in offsets (``SettlementLedger/readAhead``): the driver
/// takes at most the room left in it, and once it is full takes no records until settlements
/// move a frontier. Partial batches keep their linger (a full window is the steady state at full
/// speed, not a backlog: closing them at once would only shrink the requests). By Little's law it
/// bounds throughput at `events` ÷ (time from read to settled by every destination), which is
/// about one largest batch filling plus the requests in flight: at 4,000 and platforms answering
/// in 100–300 ms, roughly 7,000–20,000 events a second, hence the default of four batches
/// (``Limits/defaultEvents(largestBatch:)``; Google Data Manager's quota alone caps a relay at
/// 10,000: 300 requests of 2,000 events a minute). Keep it above the largest batch (`max_events`,
/// 2,000 for Google and Snapchat), or a batch can only leave at its linger.
///
/// A window that stays full (a destination stalled, retrying with backoff) would keep the
/// driver off `poll`, which serves rebalances; after ``Limits/holdBeforePauseMilliseconds`` the
/// partitions are paused instead, as for a backpressure hold, and resumed once the read-ahead is
/// under three quarters of the window and the pause is ``Limits/minimumPauseMilliseconds`` old
/// (a pause drops librdkafka's prefetch, so it must not flap). Pure: the driver passes the
/// read-ahead and the time.
public struct ReadAheadWindow: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Offsets that may be read past the settled frontiers, all assigned partitions together.
        public var events: Int64
        public var holdBeforePauseMilliseconds: Int64
        public var minimumPauseMilliseconds: Int64

        public init(events: Int64, holdBeforePauseMilliseconds: Int64 = 1_000, minimumPauseMilliseconds: Int64) {
            precondition(events > 0, "the read-ahead window must hold at least one event")
            self.events = events
            self.holdBeforePauseMilliseconds = holdBeforePauseMilliseconds
            self.minimumPauseMilliseconds = minimumPauseMilliseconds
        }

        /// Under this, a window that paused the partitions resumes them.
        public var resumeBelow: Int64 { events - events / 4 }

        /// The window when `delivery.read_ahead_events` is not set: four of the largest batch any
        /// destination sends (8,000 for Google's and Snapchat's 2,000), room for one batch filling
        /// and three in flight. By Little's law the relay then moves up to
        /// `events` ÷ (time from read to settled): one largest batch filling plus ~100 ms of
        /// requests at 60,000 orders a second (measured: benchmarks/HISTORY.md, "the read-ahead
        /// window at 60,000 orders a second"). Sized from the batches, a relay sending only
        /// 1,000-event batches repeats no more after a crash than it needs for that speed.
        public static func defaultEvents(largestBatch: Int) -> Int64 {
            Int64(max(1, largestBatch)) * 4
        }
    }

    public let limits: Limits
    /// Whether the window asks for every assigned partition to be paused.
    public private(set) var pausing = false
    private var fullSince: Int64? = nil
    private var pausedAt: Int64 = 0
    /// When the driver's current wait on a full window began (`nil`: it is taking records).
    private var waitingSince: Int64? = nil

    public init(limits: Limits) { self.limits = limits }

    /// How many records the driver may take on this turn, at most `chunk`: the room left in the
    /// window (0: none until settlements make room). While the window has the partitions paused,
    /// at least one, so the driver keeps polling (which serves the group; paused partitions
    /// return nothing).
    public func recordsToTake(readAhead: Int64, chunk: Int) -> Int {
        let room = Int(clamping: max(0, limits.events - readAhead))
        return min(chunk, pausing ? max(room, 1) : room)
    }

    /// ``recordsToTake(readAhead:chunk:)`` for the driver's turn at `now`, noting the waits: a turn
    /// that may take nothing starts a wait (unless one is under way), the next turn that may take
    /// records ends it, and `endedWait` is then how long it lasted, in milliseconds (the metric
    /// `conversion_relay_read_ahead_window_full_seconds_total`: how much the window binds).
    public mutating func take(readAhead: Int64, chunk: Int, now: Int64) -> (records: Int, endedWait: Int64?) {
        let records = recordsToTake(readAhead: readAhead, chunk: chunk)
        if records == 0 {
            if waitingSince == nil { waitingSince = now }
            return (0, nil)
        }
        guard let since = waitingSince else { return (records, nil) }
        waitingSince = nil
        return (records, now - since)
    }

    /// Applies the window to the read-ahead (on the driver's housekeeping turn); returns whether
    /// every assigned partition should be paused.
    public mutating func evaluate(readAhead: Int64, now: Int64) -> Bool {
        if pausing {
            if readAhead < limits.resumeBelow, now - pausedAt >= limits.minimumPauseMilliseconds {
                pausing = false
                fullSince = nil
            }
        } else if readAhead >= limits.events {
            let since = fullSince ?? now
            fullSince = since
            if now - since >= limits.holdBeforePauseMilliseconds {
                pausing = true
                pausedAt = now
            }
        } else {
            fullSince = nil
        }
        return pausing
    }
}
