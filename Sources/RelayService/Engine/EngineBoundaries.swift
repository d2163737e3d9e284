import RelayCore
import RelayKafka

/// Where the engine's records come from: a consumer-group member (``KafkaConsumer``), or an
/// in-memory implementation of the same contract in tests.
///
/// Contract: `poll` is called from one thread and runs the rebalance handler inside it; offsets
/// stored are the next offset to read; `commitStoredAsync` reports through the handler's
/// `committed`; `close` runs the final revoke, commits and leaves, `abandon` leaves without it.
public protocol RecordSource: AnyObject, Sendable {
    func subscribe(topics: [String], handler: KafkaRebalanceHandler) throws(KafkaError)
    func poll(timeoutMilliseconds: Int32) -> KafkaConsumerEvent?
    func storeOffsets(_ offsets: [TopicPartition: Int64]) throws(KafkaError)
    func commitStored(timeoutMilliseconds: Int32) throws(KafkaError)
    func commitStoredAsync() throws(KafkaError)
    func committed(_ partitions: [TopicPartition], timeoutMilliseconds: Int32) throws(KafkaError) -> [TopicPartition: Int64?]
    func seek(_ partition: TopicPartition, to offset: Int64) throws(KafkaError)
    func pause(_ partitions: [TopicPartition]) throws(KafkaError)
    func resume(_ partitions: [TopicPartition]) throws(KafkaError)
    func lag(_ partitions: [TopicPartition]) -> [TopicPartition: Int64]
    var fetchWakeUps: Int { get }
    func close()
    func abandon()
}

/// Where records handed on are written durably (the retry and dead-letter topics): a
/// ``KafkaProducer``, or an in-memory implementation in tests.
///
/// Contract: every `send` completes exactly once, on any thread; after `close` a send completes
/// with `KafkaError.Code.closed` and writes nothing. `prepare` readies the topics the engine will
/// write to (the engine calls it once, before it consumes) and returns those it could not ready;
/// a send to one of them still works, only slower.
public protocol DurableWriter: AnyObject, Sendable {
    func prepare(topics: [String], timeoutMilliseconds: Int32) -> [String: KafkaError]
    func send(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: String)],
        completion: @escaping @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void)
    func close(flushTimeoutMilliseconds: Int32)
}

extension KafkaConsumer: RecordSource {}
extension KafkaProducer: DurableWriter {}
