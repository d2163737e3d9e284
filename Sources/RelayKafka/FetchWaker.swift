import Crdkafka
import Dispatch
import Synchronization

/// Wakes a consumer's fetchers when it has emptied a queue that had filled up, on librdkafka
/// before 2.2.
///
/// A fetcher (one broker thread) stops fetching a partition whose local queue holds
/// `queued.max.messages.kbytes` or `queued.min.messages`, and decides again only when its thread
/// wakes: on network I/O, on an operation queued to it, or after up to one second
/// (`rd_kafka_max_block_ms`). A consumer that empties its queue sooner waits out the rest of
/// that second with nothing to do: librdkafka issue #2879 ("Consumer fetching once a second"),
/// fixed in 2.2.0 by `fetch.queue.backoff.ms` (CHANGELOG.md of v2.2.0: "When the pre-fetch queue
/// has exceeded its queuing thresholds … it backs off for 1 seconds"). One relay with the 150 MB
/// memory budget settled about one queue's worth of orders per second that way (~12,300
/// orders/s, 0.6 of a core).
///
/// The wake-up is a ListOffsets request (`rd_kafka_offsets_for_times` for the latest offsets of
/// the assignment): librdkafka sends one to each partition leader, which queues it to that
/// broker's thread, and the thread decides about fetching before it waits again. It is sent only
/// when the queue runs empty after at least half its limit arrived since the last wake-up (a
/// queue that may have been full), at most every ``minimumIntervalMilliseconds``, one at a time,
/// on a thread of its own: a consumer keeping up with a trickle never sends one.
final class FetchWaker: Sendable {
    /// librdkafka from this version backs off by `fetch.queue.backoff.ms` instead (0x020200ff:
    /// 2.2.0, the encoding of `rd_kafka_version()`).
    static let fixedInVersion: Int32 = 0x0202_00ff

    /// Whether a consumer over librdkafka `version` (`rd_kafka_version()`) needs wake-ups.
    /// Not with `client.rack` set (fetching from follower replicas): before 2.1.1 a ListOffsets
    /// under way when a follower's lease expires could crash the client (CHANGELOG.md of v2.1.1,
    /// #4254), and a consumer that fetches from followers is left as librdkafka runs it.
    static func isNeeded(librdkafkaVersion version: Int32, clientRack: String? = nil) -> Bool {
        version < fixedInVersion && (clientRack ?? "").isEmpty
    }

    static let minimumIntervalMilliseconds: Int64 = 10
    /// How long one wake-up may wait for its answers (they are not used).
    static let requestTimeoutMilliseconds: Int32 = 1_000

    private let handle: SendableKafkaHandle
    private let bytesToWake: Int
    private let messagesToWake: Int
    /// Arrivals since the last wake-up; only the polling thread updates them.
    private let bytesSinceWake = Atomic<Int>(0)
    private let messagesSinceWake = Atomic<Int>(0)
    private let lastWakeMilliseconds = Atomic<Int64>(-FetchWaker.minimumIntervalMilliseconds)
    private let wakeInFlight = Atomic<Bool>(false)
    private let wakeUpCount = Atomic<Int>(0)
    /// Set when the handle is being destroyed; a wake-up checks it before using the handle, under
    /// the same lock (`close()` takes it after any wake-up that started has finished).
    private let closed = Mutex(false)
    private let queue = DispatchQueue(label: "conversion-relay.kafka.fetch-waker")

    /// `queueKilobytes` and `queueMessages`: the consumer's `queued.max.messages.kbytes` and
    /// `queued.min.messages`.
    init(handle: SendableKafkaHandle, queueKilobytes: Int, queueMessages: Int) {
        self.handle = handle
        bytesToWake = max(1, queueKilobytes * 1024 / 2)
        messagesToWake = max(1, queueMessages / 2)
    }

    /// Wake-ups sent so far.
    var wakeUps: Int { wakeUpCount.load(ordering: .relaxed) }

    /// A record (or event) of `bytes` came out of the queue. Called for every record, from the
    /// polling thread only (which also resets the counts): a load and a store each, not a locked
    /// read-modify-write.
    @inline(__always)
    func arrived(bytes: Int) {
        bytesSinceWake.store(bytesSinceWake.load(ordering: .relaxed) &+ bytes, ordering: .relaxed)
        messagesSinceWake.store(messagesSinceWake.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// The queue was found empty: wakes the fetchers if it may have been full since the last time.
    func queueEmpty(nowMilliseconds now: Int64) {
        guard bytesSinceWake.load(ordering: .relaxed) >= bytesToWake || messagesSinceWake.load(ordering: .relaxed) >= messagesToWake,
            now - lastWakeMilliseconds.load(ordering: .relaxed) >= Self.minimumIntervalMilliseconds,
            wakeInFlight.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        bytesSinceWake.store(0, ordering: .relaxed)
        messagesSinceWake.store(0, ordering: .relaxed)
        lastWakeMilliseconds.store(now, ordering: .relaxed)
        queue.async { [self] in
            closed.withLock { closed in
                if !closed, Self.requestLatestOffsets(handle.pointer) { wakeUpCount.add(1, ordering: .relaxed) }
            }
            wakeInFlight.store(false, ordering: .releasing)
        }
    }

    /// Stops wake-ups; returns once none is using the handle. Call before destroying it.
    func close() {
        closed.withLock { $0 = true }
    }

    /// Asks the leaders of the assignment for the latest offsets; false when there was nothing
    /// to ask (no assignment).
    private static func requestLatestOffsets(_ pointer: OpaquePointer) -> Bool {
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? = nil
        guard rd_kafka_assignment(pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else { return false }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        guard assignment.pointee.cnt > 0 else { return false }
        for index in 0..<Int(assignment.pointee.cnt) { assignment.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_END) }
        // The answer does not matter (an error, a timeout: the fetchers wake on their own within
        // the second, as without this); the request reaching each leader's thread does.
        _ = rd_kafka_offsets_for_times(pointer, assignment, requestTimeoutMilliseconds)
        return true
    }
}
