import CRelayShims
import Crdkafka
import Logging
import RelayCore

/// Reads a consumer group's committed offsets and topics' end offsets without joining the group.
/// For the demo's summary, tests and operators.
public final class KafkaGroupInspector: Sendable {
    private let handle: SendableKafkaHandle

    public init(bootstrapServers: String, groupID: String, properties: [String: String] = [:]) throws(KafkaError) {
        var merged = properties
        merged["bootstrap.servers"] = bootstrapServers
        merged["group.id"] = groupID
        merged["enable.auto.commit"] = "false"
        merged["log_level"] = merged["log_level"] ?? "3"
        let conf = try RDKafkaConfig.make(merged)
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let pointer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .configuration, message: "inspector: \(String(errorBuffer: errorBuffer))")
        }
        handle = SendableKafkaHandle(pointer: pointer)
    }

    deinit {
        rd_kafka_destroy(handle.pointer)
    }

    public func partitionCount(topic: String) throws(KafkaError) -> Int {
        try KafkaMetadata.partitionCount(handle: handle.pointer, topic: topic, timeoutMilliseconds: 10_000)
    }

    public func partitions(of topic: String) throws(KafkaError) -> [TopicPartition] {
        (0..<(try partitionCount(topic: topic))).map { TopicPartition(topic: topic, partition: Int32($0)) }
    }

    /// Committed offset per partition (`nil` where the group committed nothing).
    public func committedOffsets(topic: String) throws(KafkaError) -> [TopicPartition: Int64?] {
        try KafkaOffsets.committed(handle: handle.pointer, try partitions(of: topic), timeoutMilliseconds: 10_000)
    }

    /// End offset (high watermark) per partition.
    public func endOffsets(topic: String) throws(KafkaError) -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for partition in try partitions(of: topic) {
            result[partition] = try KafkaOffsets.watermarks(handle: handle.pointer, partition, timeoutMilliseconds: 10_000).high
        }
        return result
    }

    /// Low and high watermark per partition: the first offset still stored and the end.
    public func watermarks(topic: String) throws(KafkaError) -> [TopicPartition: (low: Int64, high: Int64)] {
        var result: [TopicPartition: (low: Int64, high: Int64)] = [:]
        for partition in try partitions(of: topic) {
            result[partition] = try KafkaOffsets.watermarks(handle: handle.pointer, partition, timeoutMilliseconds: 10_000)
        }
        return result
    }

    /// Sum of committed offsets and sum of end offsets: equal when the group consumed everything.
    public func committedAndEnd(topic: String) throws(KafkaError) -> (committed: Int64, end: Int64) {
        let committed = try committedOffsets(topic: topic).values.reduce(Int64(0)) { $0 + ($1 ?? 0) }
        let end = try endOffsets(topic: topic).values.reduce(Int64(0), +)
        return (committed, end)
    }
}
