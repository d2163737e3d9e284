import CRelayShims
import Crdkafka
import Dispatch
import Logging
import RelayCore
import Synchronization

/// What the application does when partitions move. Called on the thread that calls
/// ``KafkaConsumer/poll(timeoutMilliseconds:)``, inside librdkafka's rebalance callback, *before*
/// librdkafka's assignment changes, so a revoke handler can still drain and store offsets.
public struct KafkaRebalanceHandler: Sendable {
    public var assigned: @Sendable ([TopicPartition]) -> Void
    /// `lost` is true when the group already gave the partitions to someone else (session
    /// timeout): the handler must drop their state without storing offsets.
    public var revoked: @Sendable (_ partitions: [TopicPartition], _ lost: Bool) -> Void
    /// After each offset commit (automatic or explicit): the committed offsets, or the error.
    public var committed: @Sendable (Result<[TopicPartition: Int64], KafkaError>) -> Void
    /// Where to start reading partitions about to be assigned, for those that should not start
    /// at the group's committed offset (librdkafka's default); called before ``assigned``.
    public var startingOffsets: @Sendable ([TopicPartition]) -> [TopicPartition: Int64]

    public init(
        assigned: @escaping @Sendable ([TopicPartition]) -> Void,
        revoked: @escaping @Sendable ([TopicPartition], Bool) -> Void,
        committed: @escaping @Sendable (Result<[TopicPartition: Int64], KafkaError>) -> Void = { _ in },
        startingOffsets: @escaping @Sendable ([TopicPartition]) -> [TopicPartition: Int64] = { _ in [:] }
    ) {
        self.assigned = assigned
        self.revoked = revoked
        self.committed = committed
        self.startingOffsets = startingOffsets
    }
}

/// What one poll returned.
public enum KafkaConsumerEvent: Sendable {
    case record(KafkaRecord)
    /// A consumer error librdkafka reported instead of a record (most are informational and
    /// librdkafka recovers by itself; ``KafkaError/RDKafkaCode/fatal`` is not).
    case error(KafkaError)
}

/// A Kafka consumer-group member over librdkafka, configured for at-least-once delivery:
/// `enable.auto.offset.store=false`, `enable.auto.commit=true`, offsets stored explicitly by the
/// application (the settled frontier), our own rebalance callback.
///
/// Thread use: `poll` from one thread (the rebalance handler runs there); `storeOffsets`,
/// `pause`, `resume` and the queries may be called from any thread (librdkafka handles are
/// thread-safe).
public final class KafkaConsumer: Sendable {
    private let handle: SendableKafkaHandle
    private let context: ConsumerContext
    /// Wakes the fetchers after an emptied queue (librdkafka before 2.2 only, see ``FetchWaker``).
    private let fetchWaker: FetchWaker?
    private let closed = Mutex(false)
    /// One string per topic for the records' positions (see ``TopicNames``).
    private let topicNames = TopicNames()
    public let logger: Logger

    /// How far past a polled value the next records are prefetched (two sample orders' worth).
    static let prefetchAheadBytes = 4096

    /// Properties forced on every consumer: the at-least-once recipe of librdkafka's
    /// INTRODUCTION.md ("At-least-once processing").
    public static let forcedProperties: [String: String] = [
        "enable.auto.offset.store": "false",
        "enable.auto.commit": "true",
        "enable.partition.eof": "false",
    ]

    /// Defaults the user may override.
    public static let defaultProperties: [String: String] = [
        "auto.offset.reset": "earliest",
        "auto.commit.interval.ms": "1000",
        // Eager assignors by default on librdkafka 2.0.2 (cooperative-sticky bugs fixed only later).
        "partition.assignment.strategy": "range,roundrobin",
        // Bound librdkafka's prefetch so memory stays bounded whatever the backlog.
        "queued.max.messages.kbytes": "16384",
        "fetch.wait.max.ms": "100",
    ]

    /// Whether ``poll(timeoutMilliseconds:)`` reads each record's headers (see ``init(properties:logger:readsHeaders:)``).
    public let readsHeaders: Bool

    /// `readsHeaders: false` leaves every polled record's headers empty, for a consumer that has no
    /// use for them (the relay's orders consumer: only the retry topic's records carry what it
    /// reads there), so librdkafka does not parse them for each record.
    public init(properties: [String: String], logger: Logger, readsHeaders: Bool = true) throws(KafkaError) {
        self.readsHeaders = readsHeaders
        var merged = Self.defaultProperties.merging(properties) { $1 }
        merged.merge(Self.forcedProperties) { $1 }
        guard merged["group.id"] != nil else {
            throw KafkaError(code: .configuration, message: "Kafka property 'group.id' is required for a consumer")
        }
        self.logger = logger
        let context = ConsumerContext(logger: logger)
        self.context = context
        let conf = try RDKafkaConfig.make(merged)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceTrampoline)
        rd_kafka_conf_set_offset_commit_cb(conf, commitTrampoline)
        rd_kafka_conf_set_log_cb(conf, consumerLogTrampoline)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let pointer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .configuration, message: "cannot create consumer: \(String(errorBuffer: errorBuffer))")
        }
        self.handle = SendableKafkaHandle(pointer: pointer)
        fetchWaker =
            FetchWaker.isNeeded(librdkafkaVersion: rd_kafka_version(), clientRack: merged["client.rack"])
            ? FetchWaker(
                handle: handle,
                queueKilobytes: merged["queued.max.messages.kbytes"].flatMap { Int($0) } ?? Self.librdkafkaQueueKilobytes,
                queueMessages: merged["queued.min.messages"].flatMap { Int($0) } ?? Self.librdkafkaQueueMessages)
            : nil
        rd_kafka_poll_set_consumer(pointer)
    }

    /// librdkafka's own defaults for `queued.max.messages.kbytes` and `queued.min.messages`
    /// (CONFIGURATION.md of 2.0.2).
    static let librdkafkaQueueKilobytes = 65_536
    static let librdkafkaQueueMessages = 100_000

    /// Fetcher wake-ups sent since the consumer was created (see ``FetchWaker``); always 0 on
    /// librdkafka 2.2 and later.
    public var fetchWakeUps: Int { fetchWaker?.wakeUps ?? 0 }

    deinit {
        closeHandle(consumerClose: true)
    }

    /// Joins the group for `topics`. `handler` sees every assignment change.
    public func subscribe(topics: [String], handler: KafkaRebalanceHandler) throws(KafkaError) {
        context.handler.withLock { $0 = handler }
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(topic: topic, partition: RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(handle.pointer, list.pointer)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "subscribe") }
    }

    /// Reads `partitions` from their beginning without joining the group: no join to wait for, no
    /// rebalance. For reading a whole topic (tools, tests); nothing is committed unless asked.
    public func assignFromBeginning(_ partitions: [TopicPartition]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions {
            list.add(topic: partition.topic, partition: partition.partition, offset: Int64(RD_KAFKA_OFFSET_BEGINNING))
        }
        let error = rd_kafka_assign(handle.pointer, list.pointer)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "assign") }
    }

    /// Waits up to `timeoutMilliseconds` for the next record or consumer error. Also serves
    /// rebalances (the handler runs inside this call).
    public func poll(timeoutMilliseconds: Int32) -> KafkaConsumerEvent? {
        guard let message = nextMessage(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let topic = message.pointee.rkt.map { topicNames.name(rd_kafka_topic_name($0)) } ?? ""
        if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
            return .error(
                KafkaError(code: .underlying, message: "consumer: \(text)", rdKafkaCode: message.pointee.err.rawValue))
        }
        let value: [UInt8] =
            message.pointee.payload.map {
                // The records of a fetched batch lie one after another in librdkafka's buffer: the
                // bytes after this value (the next records) are asked into the cache while it is
                // copied (a hint; it never faults, even past the buffer's end).
                relay_cshim_prefetch($0 + message.pointee.len, Self.prefetchAheadBytes)
                return Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.len))
            } ?? []
        let key: [UInt8]? = message.pointee.key.map {
            Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len))
        }
        var headers: [(name: String, value: String)] = []
        var headerList: OpaquePointer? = nil
        if readsHeaders, rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>? = nil
            var headerValue: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = headerValue.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self)
                } ?? ""
                headers.append((name.map { String(cString: $0) } ?? "", text))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return .record(
            KafkaRecord(
                position: RecordPosition(
                    topicPartition: TopicPartition(topic: topic, partition: message.pointee.partition),
                    offset: message.pointee.offset),
                key: key, value: value, headers: headers, timestampMilliseconds: timestamp))
    }

    /// The next message from librdkafka's queue, waiting up to `timeoutMilliseconds`. With a
    /// ``FetchWaker``, the queue is looked at without waiting first, and an empty one is reported
    /// to the waker before the wait.
    private func nextMessage(timeoutMilliseconds: Int32) -> UnsafeMutablePointer<rd_kafka_message_t>? {
        guard let fetchWaker else { return rd_kafka_consumer_poll(handle.pointer, timeoutMilliseconds) }
        var message = rd_kafka_consumer_poll(handle.pointer, 0)
        if message == nil {
            fetchWaker.queueEmpty(nowMilliseconds: Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000))
            guard timeoutMilliseconds > 0 else { return nil }
            message = rd_kafka_consumer_poll(handle.pointer, timeoutMilliseconds)
        }
        if let message { fetchWaker.arrived(bytes: message.pointee.len + message.pointee.key_len) }
        return message
    }

    /// Reads one message and drops it without copying anything: `true` for a record, `false` for
    /// nothing or an error. The bare-consumer throughput ceiling of the benchmarks.
    public func pollDiscarding(timeoutMilliseconds: Int32) -> Bool {
        guard let message = rd_kafka_consumer_poll(handle.pointer, timeoutMilliseconds) else { return false }
        defer { rd_kafka_message_destroy(message) }
        return message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Stores offsets for the next commit (`offset` is the next offset to read: last settled + 1).
    /// Fails with ``KafkaError/RDKafkaCode/state`` for partitions no longer assigned.
    public func storeOffsets(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (topicPartition, offset) in offsets {
            list.add(topic: topicPartition.topic, partition: topicPartition.partition, offset: offset)
        }
        let error = rd_kafka_offsets_store(handle.pointer, list.pointer)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: "offsets_store")
        }
        for element in RDKafkaTopicPartitionList.read(list.pointer) where element.error != 0 {
            throw KafkaError(
                code: .underlying,
                message: "offsets_store \(element.topic)[\(element.partition)]: "
                    + String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: element.error))),
                rdKafkaCode: element.error)
        }
    }

    /// Commits the stored offsets of the current assignment and waits for the coordinator's
    /// answer, at most `timeoutMilliseconds` (normally the background auto-commit does it).
    ///
    /// Safe inside the rebalance handler: the revoke handler calls it *before* librdkafka
    /// unassigns, so the commit reaches the coordinator before this member rejoins. Left to the
    /// auto-commit on unassign, the commit and the cooperative rejoin race, and a coordinator
    /// that already counts the group as rebalancing refuses it (`REBALANCE_IN_PROGRESS`), so the
    /// partition's next owner would repeat work already delivered. The commit goes through
    /// `rd_kafka_commit_queue` on a private queue so a coordinator that does not answer cannot
    /// hold the caller longer than the timeout (`rd_kafka_commit` has none). Nothing stored since
    /// the last commit is not an error.
    public func commitStored(timeoutMilliseconds: Int32 = 10_000) throws(KafkaError) {
        guard let queue = rd_kafka_queue_new(handle.pointer) else {
            throw KafkaError(code: .underlying, message: "commit: cannot create a reply queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let requested = rd_kafka_commit_queue(handle.pointer, nil, queue, nil, nil)
        if requested == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        guard requested == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(requested, context: "commit") }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        while true {
            let (seconds, attoseconds) = clock.now.duration(to: deadline).components
            let remaining = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
            guard remaining > 0 else { throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "commit") }
            guard let event = rd_kafka_queue_poll(queue, Int32(clamping: remaining)) else { continue }
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT else { continue }
            let error = rd_kafka_event_error(event)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET else {
                throw KafkaError(error, context: "commit")
            }
            return
        }
    }

    /// Commits the stored offsets of the current assignment without waiting: the coordinator's
    /// answer reaches the rebalance handler's `committed` from a later `poll`. Nothing stored
    /// since the last commit is not an error (the answer then says so, or nothing comes).
    public func commitStoredAsync() throws(KafkaError) {
        let error = rd_kafka_commit(handle.pointer, nil, 1)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            throw KafkaError(error, context: "commit")
        }
    }

    /// Moves the fetch position of a partition (the next poll returns `offset` again).
    public func seek(_ partition: TopicPartition, to offset: Int64) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: 1)
        list.add(topic: partition.topic, partition: partition.partition, offset: offset)
        if let error = rd_kafka_seek_partitions(handle.pointer, list.pointer, 5_000) {
            let message = String(cString: rd_kafka_error_string(error))
            let code = rd_kafka_error_code(error).rawValue
            rd_kafka_error_destroy(error)
            throw KafkaError(code: .underlying, message: "seek \(partition): \(message)", rdKafkaCode: code)
        }
    }

    /// Stops fetching from `partitions` (the poll loop must keep running).
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try pauseOrResume(partitions, pause: true)
    }

    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try pauseOrResume(partitions, pause: false)
    }

    private func pauseOrResume(_ partitions: [TopicPartition], pause: Bool) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: partition.partition) }
        let error =
            pause ? rd_kafka_pause_partitions(handle.pointer, list.pointer)
            : rd_kafka_resume_partitions(handle.pointer, list.pointer)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(error, context: pause ? "pause" : "resume")
        }
    }

    /// The group's committed offsets for `partitions` (`nil` where nothing is committed).
    public func committed(_ partitions: [TopicPartition], timeoutMilliseconds: Int32 = 10_000) throws(KafkaError)
        -> [TopicPartition: Int64?]
    {
        try KafkaOffsets.committed(handle: handle.pointer, partitions, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Messages between this member's position and the partition's end (from cached
    /// watermarks: no broker round trip). `nil` where nothing is known yet.
    public func lag(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: partition.partition) }
        guard rd_kafka_position(handle.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [TopicPartition: Int64] = [:]
        for element in RDKafkaTopicPartitionList.read(list.pointer) {
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(handle.pointer, element.topic, element.partition, &low, &high)
                == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
            else { continue }
            let position = element.offset >= 0 ? element.offset : low
            result[TopicPartition(topic: element.topic, partition: element.partition)] = max(0, high - position)
        }
        return result
    }

    /// Leaves the group cleanly: the final revoke runs the handler (drain, store), librdkafka
    /// commits the stored offsets, then the handle is destroyed. Idempotent.
    public func close() {
        closeHandle(consumerClose: true)
    }

    /// Destroys the handle without leaving the group or committing: what a crash looks like to
    /// the broker. For tests.
    public func abandon() {
        closeHandle(consumerClose: false)
    }

    private func closeHandle(consumerClose: Bool) {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        fetchWaker?.close()
        if consumerClose {
            rd_kafka_consumer_close(handle.pointer)
            rd_kafka_destroy(handle.pointer)
        } else {
            rd_kafka_destroy_flags(handle.pointer, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        }
    }
}

/// State the C callbacks reach through `rd_kafka_opaque`. Outlives the handle (owned by the consumer).
final class ConsumerContext: Sendable {
    let logger: Logger
    let handler = Mutex<KafkaRebalanceHandler?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }
}

private let rebalanceTrampoline:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { rk, error, list, opaque in
        guard let rk, let list, let opaque else { return }
        let context = Unmanaged<ConsumerContext>.fromOpaque(opaque).takeUnretainedValue()
        let partitions = RDKafkaTopicPartitionList.read(list).map {
            TopicPartition(topic: $0.topic, partition: $0.partition)
        }
        let handler = context.handler.withLock { $0 }
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            // An offset set in the list before the assign is where fetching starts, instead of
            // the committed offset librdkafka would look up.
            for (partition, offset) in handler?.startingOffsets(partitions) ?? [:] {
                rd_kafka_topic_partition_list_find(list, partition.topic, partition.partition)?.pointee.offset = offset
            }
            handler?.assigned(partitions)
            if cooperative {
                if let failure = rd_kafka_incremental_assign(rk, list) { rd_kafka_error_destroy(failure) }
            } else {
                rd_kafka_assign(rk, list)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            handler?.revoked(partitions, lost)
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(rk, list) { rd_kafka_error_destroy(failure) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        default:
            context.logger.error(
                "rebalance error, dropping assignment", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2str(error)))"])
            handler?.revoked(partitions, true)
            rd_kafka_assign(rk, nil)
        }
    }

private let commitTrampoline:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { _, error, list, opaque in
        guard let opaque else { return }
        let context = Unmanaged<ConsumerContext>.fromOpaque(opaque).takeUnretainedValue()
        guard let handler = context.handler.withLock({ $0 }) else { return }
        if error == RD_KAFKA_RESP_ERR__NO_OFFSET { return }  // nothing was stored since the last commit
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            handler.committed(.failure(KafkaError(error, context: "offset commit")))
            return
        }
        var offsets: [TopicPartition: Int64] = [:]
        for element in RDKafkaTopicPartitionList.read(list) where element.error == 0 && element.offset >= 0 {
            offsets[TopicPartition(topic: element.topic, partition: element.partition)] = element.offset
        }
        handler.committed(.success(offsets))
    }

private let consumerLogTrampoline: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, message in
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
    let context = Unmanaged<ConsumerContext>.fromOpaque(opaque).takeUnretainedValue()
    KafkaLog.forward(context.logger, level: level, facility: facility, message: message)
}

enum KafkaLog {
    static func forward(_ logger: Logger, level: Int32, facility: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?) {
        let text = message.map { String(cString: $0) } ?? ""
        let facilityText = facility.map { String(cString: $0) } ?? ""
        let swiftLevel: Logger.Level =
            switch level {
            case 0...3: .error
            case 4: .warning
            case 5, 6: .info
            default: .debug
            }
        logger.log(level: swiftLevel, "librdkafka: \(text)", metadata: ["kafka.facility": "\(facilityText)"])
    }
}
