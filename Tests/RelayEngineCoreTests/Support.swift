import RelayCore

/// Always the largest value: the backoff's ceiling, to test its bound.
struct MaximumRandom: RandomNumberGenerator {
    mutating func next() -> UInt64 { .max }
}

func partition(_ number: Int32, topic: String = "orders") -> TopicPartition {
    TopicPartition(topic: topic, partition: number)
}

func position(_ number: Int32, _ offset: Int64, topic: String = "orders") -> RecordPosition {
    RecordPosition(topicPartition: partition(number, topic: topic), offset: offset)
}
