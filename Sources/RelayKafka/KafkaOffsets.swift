import CRelayShims
import Crdkafka
import RelayCore

/// Offset queries that work on any client handle.
enum KafkaOffsets {
    static func committed(handle: OpaquePointer, _ partitions: [TopicPartition], timeoutMilliseconds: Int32)
        throws(KafkaError) -> [TopicPartition: Int64?]
    {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: partition.partition) }
        let error = rd_kafka_committed(handle, list.pointer, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "committed") }
        var result: [TopicPartition: Int64?] = [:]
        for element in RDKafkaTopicPartitionList.read(list.pointer) {
            let key = TopicPartition(topic: element.topic, partition: element.partition)
            result[key] = element.offset >= 0 ? element.offset : nil
        }
        return result
    }

    static func watermarks(handle: OpaquePointer, _ partition: TopicPartition, timeoutMilliseconds: Int32)
        throws(KafkaError) -> (low: Int64, high: Int64)
    {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(
            handle, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "watermarks \(partition)") }
        return (low, high)
    }
}
