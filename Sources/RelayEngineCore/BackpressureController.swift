import RelayCore

/// When consumption holds, pauses and resumes, from what the relay holds unsettled.
///
/// Over the high watermark (events in the busiest lane, or bytes) consumption is *held*: the
/// driver stops taking records from librdkafka's queue and closes partial batches at once (nothing
/// more arrives to fill them). A hold that lasts ``Limits/holdBeforePauseMilliseconds`` *pauses*
/// every assigned partition, so the driver can go back to polling for rebalances without taking
/// records. A hold ends once every lane is under the low watermarks (the band between the marks
/// keeps it from flapping); a pause ends then too, but not before it is
/// ``Limits/minimumPauseMilliseconds`` old, because each pause drops librdkafka's prefetch.
/// A hold has no minimum: holding on after the levels were down left the destinations idle at
/// the end of every hold (benchmarks/HISTORY.md, the eighteenth round). Pure: the driver passes
/// the levels and the time.
public struct BackpressureController: Sendable {
    public struct Limits: Sendable, Equatable {
        public var highWatermarkEvents: Int
        public var lowWatermarkEvents: Int
        public var highWatermarkBytes: Int
        public var lowWatermarkBytes: Int
        public var minimumPauseMilliseconds: Int
        /// How long a hold lasts before the partitions are paused. A hold only stops taking
        /// records; a pause makes librdkafka drop what it prefetched for the partition and fetch
        /// it again on resume (confluent-kafka-go#260, librdkafka#5343), which under a backlog
        /// happened about once a second when every hold paused.
        public var holdBeforePauseMilliseconds: Int64
        /// Freed heap goes back to the OS on resume at most this often: trimming on each resume
        /// made the allocator fault the same pages back in at once (page faults and `malloc_trim`
        /// were ~9 % of the relay's CPU in a `perf` profile of a 200,000-order backlog).
        public var heapReleaseIntervalMilliseconds: Int64

        public init(
            highWatermarkEvents: Int, lowWatermarkEvents: Int, highWatermarkBytes: Int, lowWatermarkBytes: Int,
            minimumPauseMilliseconds: Int, holdBeforePauseMilliseconds: Int64 = 1_000,
            heapReleaseIntervalMilliseconds: Int64 = 5_000
        ) {
            self.highWatermarkEvents = highWatermarkEvents
            self.lowWatermarkEvents = lowWatermarkEvents
            self.highWatermarkBytes = highWatermarkBytes
            self.lowWatermarkBytes = lowWatermarkBytes
            self.minimumPauseMilliseconds = minimumPauseMilliseconds
            self.holdBeforePauseMilliseconds = holdBeforePauseMilliseconds
            self.heapReleaseIntervalMilliseconds = heapReleaseIntervalMilliseconds
        }
    }

    /// What to do after one evaluation.
    public struct Decision: Sendable, Equatable {
        /// Consumption just started to be held: close partial batches now, log it.
        public var holdStarted = false
        /// Consumption is held, partitions not paused (take no records).
        public var holding = false
        /// The hold lasted: every assigned partition should be paused.
        public var pauseAll = false
        /// The hold just ended and enough time passed since the last release: return freed heap.
        public var releaseHeap = false
    }

    public let limits: Limits
    public private(set) var engaged = false
    private var since: Int64 = 0
    private var heapReleasedAt: Int64? = nil

    public init(limits: Limits) { self.limits = limits }

    /// Whether a hold may end now: every lane under the resume marks, and, once the hold became a
    /// pause, the pause at least ``Limits/minimumPauseMilliseconds`` old.
    public func mayEnd(busiestLane: Int, bytes: Int, now: Int64) -> Bool {
        guard busiestLane <= limits.lowWatermarkEvents, bytes <= limits.lowWatermarkBytes else { return false }
        let pausedFor = now - since - limits.holdBeforePauseMilliseconds
        return pausedFor < 0 || pausedFor >= Int64(limits.minimumPauseMilliseconds)
    }

    /// Whether a hold not yet engaged would start now (at or over a high watermark): the driver
    /// asks after admitting records, so a hold starts close to the watermark however fast
    /// records arrive between its regular evaluations.
    public func wouldStartHold(busiestLane: Int, bytes: Int) -> Bool {
        !engaged && (busiestLane >= limits.highWatermarkEvents || bytes >= limits.highWatermarkBytes)
    }

    /// Applies the watermarks to the busiest lane's unsettled events and the unsettled bytes.
    public mutating func evaluate(busiestLane: Int, bytes: Int, now: Int64) -> Decision {
        var decision = Decision()
        if wouldStartHold(busiestLane: busiestLane, bytes: bytes) {
            engaged = true
            since = now
            decision.holdStarted = true
        } else if engaged, mayEnd(busiestLane: busiestLane, bytes: bytes, now: now) {
            engaged = false
            if heapReleasedAt.map({ now - $0 >= limits.heapReleaseIntervalMilliseconds }) ?? true {
                heapReleasedAt = now
                decision.releaseHeap = true
            }
        }
        decision.pauseAll = engaged && now - since >= limits.holdBeforePauseMilliseconds
        decision.holding = engaged && !decision.pauseAll
        return decision
    }
}

/// Which partitions are paused, reconciled with which should be: the driver pauses and resumes
/// exactly the differences.
public struct PartitionPauses: Sendable {
    public private(set) var paused: Set<TopicPartition> = []

    public init() {}

    /// Makes `desired` the paused set; returns what to pause and what to resume.
    public mutating func reconcile(desired: Set<TopicPartition>) -> (pause: [TopicPartition], resume: [TopicPartition]) {
        let pause = desired.subtracting(paused)
        let resume = paused.subtracting(desired)
        paused = desired
        return (Array(pause), Array(resume))
    }

    /// Forgets revoked partitions; returns those that were paused (librdkafka keeps a paused flag
    /// across revoke and re-assignment, so the driver resumes them).
    public mutating func revoke(_ revoked: Set<TopicPartition>) -> Set<TopicPartition> {
        let was = paused.intersection(revoked)
        paused.subtract(was)
        return was
    }
}
