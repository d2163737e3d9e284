import RelayCore

/// A record read from Kafka, copied out of librdkafka's memory.
public struct KafkaRecord: Sendable {
    public var position: RecordPosition
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [(name: String, value: String)]
    /// Producer or log-append time, milliseconds since the epoch (-1 when unknown).
    public var timestampMilliseconds: Int64

    public init(
        position: RecordPosition, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: String)] = [],
        timestampMilliseconds: Int64 = -1
    ) {
        self.position = position
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}
