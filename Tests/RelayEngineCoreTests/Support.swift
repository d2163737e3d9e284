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

/// A seeded generator (SplitMix64): the same sequence on every run, so a failure repeats.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
