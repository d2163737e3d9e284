import CRelayShims
import Crdkafka
import Foundation
import Logging
import RelayCore
import Synchronization

/// Where a produced record landed.
public struct KafkaDeliveryReport: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var offset: Int64

    /// Public so other implementations of the engine's `DurableWriter` contract (in-memory ones
    /// in tests) can report where a record landed.
    public init(topicPartition: TopicPartition, offset: Int64) {
        self.topicPartition = topicPartition
        self.offset = offset
    }
}

/// A Kafka producer with delivery reports: every `send` completes exactly once, with the
/// record's partition and offset once the broker acknowledged it, or with the error.
///
/// Idempotent with `acks=all` by default, so librdkafka's internal retries never duplicate a
/// record. A background thread serves delivery reports.
public final class KafkaProducer: Sendable {
    private let handle: SendableKafkaHandle
    private let context: ProducerContext
    private let lifecycle = PollerLifecycle()
    /// Set by ``close(flushTimeoutMilliseconds:)`` before the handle is destroyed; `send` reads it
    /// under the same lock it produces under, so no send reaches a destroyed handle.
    private let closedForSends = Mutex(false)

    public static let defaultProperties: [String: String] = [
        "enable.idempotence": "true",
        "acks": "all",
        "linger.ms": "5",
        "message.timeout.ms": "60000",
    ]

    public init(properties: [String: String], logger: Logger) throws(KafkaError) {
        let merged = Self.defaultProperties.merging(properties) { $1 }
        let context = ProducerContext(logger: logger)
        self.context = context
        let conf = try RDKafkaConfig.make(merged)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryTrampoline)
        rd_kafka_conf_set_log_cb(conf, producerLogTrampoline)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let pointer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .configuration, message: "cannot create producer: \(String(errorBuffer: errorBuffer))")
        }
        handle = SendableKafkaHandle(pointer: pointer)
        let thread = Thread { [handle, lifecycle] in
            // Named from inside: on Linux a name set before `start()` never reaches the OS thread
            // (top, perf and /proc show it; at most 15 characters).
            Thread.current.name = "relay-producer"
            while !lifecycle.isClosed {
                rd_kafka_poll(handle.pointer, 100)
            }
            lifecycle.stopped.signal()
        }
        thread.start()
    }

    deinit {
        close(flushTimeoutMilliseconds: 5_000)
    }

    /// Queues one record. `completion` runs on the producer's poll thread when the broker
    /// acknowledged it, or when it failed for good (after librdkafka's own retries).
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8],
        headers: [(name: String, value: String)] = [],
        completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
    ) {
        let produced: rd_kafka_resp_err_t? = closedForSends.withLock { closed in
            guard !closed else { return nil }
            return produce(topic: topic, partition: partition, key: key, value: value, headers: headers, completion: completion)
        }
        switch produced {
        case nil:
            completion(.failure(KafkaError(code: .closed, message: "produce to \(topic): the producer is closed")))
        case let error? where error != RD_KAFKA_RESP_ERR_NO_ERROR:
            completion(.failure(KafkaError(error, context: "produce to \(topic)")))
        default:
            break
        }
    }

    /// Queues one record on the open handle; returns librdkafka's answer (on an error the
    /// completion has not run and never will).
    private func produce(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: String)],
        completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
    ) -> rd_kafka_resp_err_t {
        let box = Unmanaged.passRetained(DeliveryBox(completion))
        var headerList: OpaquePointer? = nil
        if !headers.isEmpty {
            headerList = rd_kafka_headers_new(headers.count)
            for header in headers {
                _ = header.value.utf8.withContiguousStorageIfAvailable { bytes in
                    rd_kafka_header_add(headerList, header.name, -1, bytes.baseAddress, bytes.count)
                } ?? {
                    let bytes = Array(header.value.utf8)
                    return rd_kafka_header_add(headerList, header.name, -1, bytes, bytes.count)
                }()
            }
        }
        let error = value.withUnsafeBytes { valueBytes in
            withKeyBytes(key) { keyPointer, keyLength in
                relay_cshim_produce(
                    handle.pointer, topic, partition ?? RD_KAFKA_PARTITION_UA, keyPointer, keyLength,
                    valueBytes.baseAddress, valueBytes.count, headerList, box.toOpaque())
            }
        }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            if let headerList { rd_kafka_headers_destroy(headerList) }
            box.release()
        }
        return error
    }

    /// Sends one record and waits for its delivery report.
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8],
        headers: [(name: String, value: String)] = []
    ) async throws(KafkaError) -> KafkaDeliveryReport {
        let result = await withCheckedContinuation { continuation in
            send(topic: topic, partition: partition, key: key, value: value, headers: headers) { result in
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    /// Waits until every queued record has its delivery report, or the timeout passes.
    /// Returns false on timeout.
    @discardableResult
    public func flush(timeoutMilliseconds: Int32) -> Bool {
        rd_kafka_flush(handle.pointer, timeoutMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Flushes, stops the poll thread and destroys the handle. Idempotent. Sends from then on
    /// complete at once with ``KafkaError/Code/closed`` (a late retry must never produce on a
    /// destroyed handle); records queued before are flushed.
    public func close(flushTimeoutMilliseconds: Int32 = 30_000) {
        closedForSends.withLock { $0 = true }
        guard lifecycle.markClosed() else { return }
        rd_kafka_flush(handle.pointer, flushTimeoutMilliseconds)
        lifecycle.stopped.wait()
        rd_kafka_destroy(handle.pointer)
    }

    /// Looks up each topic's partitions and leaders now, so the first record sent to it does not
    /// wait for that. librdkafka learns a topic's metadata only when a record for it is first
    /// produced; until then the record waits (a Metadata request, then the leader's connection).
    /// The relay's first retry-topic write after a start waited that way, and the unsettled
    /// poison record held its partition's frontier as long (measured in benchmarks/HISTORY.md,
    /// "the paced run's tail"). Returns the topics that could not be
    /// looked up within the timeout, with why (not fatal: the first send looks again). A broker
    /// that creates topics on first use may create them now rather than at the first send.
    public func prepare(topics: [String], timeoutMilliseconds: Int32) -> [String: KafkaError] {
        var failures: [String: KafkaError] = [:]
        for topic in Set(topics) {
            do {
                _ = try KafkaMetadata.partitionCount(handle: handle.pointer, topic: topic, timeoutMilliseconds: timeoutMilliseconds)
            } catch {
                failures[topic] = error
            }
        }
        return failures
    }

    /// High watermark and low watermark of a partition.
    public func watermarks(_ partition: TopicPartition, timeoutMilliseconds: Int32 = 10_000) throws(KafkaError)
        -> (low: Int64, high: Int64)
    {
        try KafkaOffsets.watermarks(handle: handle.pointer, partition, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Number of partitions of `topic`, from cluster metadata.
    public func partitionCount(topic: String, timeoutMilliseconds: Int32 = 10_000) throws(KafkaError) -> Int {
        try KafkaMetadata.partitionCount(handle: handle.pointer, topic: topic, timeoutMilliseconds: timeoutMilliseconds)
    }
}

private func withKeyBytes<R>(_ key: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let key else { return body(nil, 0) }
    return key.withUnsafeBytes { body($0.baseAddress, $0.count) }
}

/// Stop flag and join signal of a background poll thread.
final class PollerLifecycle: Sendable {
    private let closed = Atomic<Bool>(false)
    let stopped = DispatchSemaphore(value: 0)

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Sets the flag; true only for the first caller.
    func markClosed() -> Bool {
        !closed.exchange(true, ordering: .acquiringAndReleasing)
    }
}

private final class DeliveryBox {
    let completion: @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void
    init(_ completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void) {
        self.completion = completion
    }
}

final class ProducerContext: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private let deliveryTrampoline:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            box.completion(
                .success(
                    KafkaDeliveryReport(
                        topicPartition: TopicPartition(topic: topic, partition: message.pointee.partition),
                        offset: message.pointee.offset)))
        } else {
            box.completion(.failure(KafkaError(message.pointee.err, context: "delivery to \(topic)")))
        }
    }

private let producerLogTrampoline: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, message in
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
    let context = Unmanaged<ProducerContext>.fromOpaque(opaque).takeUnretainedValue()
    KafkaLog.forward(context.logger, level: level, facility: facility, message: message)
}

enum KafkaMetadata {
    static func partitionCount(handle: OpaquePointer, topic: String, timeoutMilliseconds: Int32) throws(KafkaError) -> Int {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            throw KafkaError(code: .underlying, message: "cannot open topic \(topic)")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(error, context: "metadata \(topic)") }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return 0 }
        let topicMetadata = metadata.pointee.topics[0]
        guard topicMetadata.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(topicMetadata.err, context: "metadata \(topic)") }
        return Int(topicMetadata.partition_cnt)
    }
}
