import CRelayShims
import Crdkafka

/// Builds an `rd_kafka_conf_t` from string properties; a rejected property is reported by name.
enum RDKafkaConfig {
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorBuffer = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let detail = String(errorBuffer: errorBuffer)
                // librdkafka's message may quote the value; for secrets only the key is reported.
                let safeDetail = isSecret(key) ? "invalid value" : detail
                throw KafkaError(code: .configuration, message: "Kafka property '\(key)': \(safeDetail)")
            }
        }
        return conf
    }

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return lowered.contains("password") || lowered.contains("secret") || lowered.contains("token")
            || lowered.contains("key")
    }
}

/// A topic partition list owned by Swift and destroyed with it.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(capacity))
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    func add(topic: String, partition: Int32, offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) {
        let element = rd_kafka_topic_partition_list_add(pointer, topic, partition)!
        element.pointee.offset = offset
    }

    /// Reads a C list (not owned) into Swift values.
    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(topic: String, partition: Int32, offset: Int64, error: Int32)] {
        var result: [(topic: String, partition: Int32, offset: Int64, error: Int32)] = []
        let count = Int(list.pointee.cnt)
        result.reserveCapacity(count)
        for index in 0..<count {
            let element = list.pointee.elems[index]
            result.append((String(cString: element.topic), element.partition, element.offset, element.err.rawValue))
        }
        return result
    }
}

/// A librdkafka handle. librdkafka documents `rd_kafka_t` as thread-safe.
struct SendableKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

extension String {
    /// Reads a NUL-terminated C error buffer.
    init(errorBuffer: [CChar]) {
        self = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
