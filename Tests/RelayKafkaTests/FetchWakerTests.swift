import Crdkafka
import Foundation
import RelayCore
@testable import RelayKafka
import Synchronization
import Testing

/// librdkafka before 2.2 looks at a partition whose queue was full again only when its broker
/// thread wakes (up to a second later); the consumer wakes it when it has emptied such a queue,
/// and only then.
@Suite(.serialized) struct FetchWakerTests {
    @Test func onlyLibrdkafkaBefore2Point2NeedsWakeUps() {
        #expect(FetchWaker.isNeeded(librdkafkaVersion: 0x0200_02ff))  // 2.0.2, Debian bookworm
        #expect(FetchWaker.isNeeded(librdkafkaVersion: 0x0201_01ff))
        #expect(!FetchWaker.isNeeded(librdkafkaVersion: 0x0202_00ff))  // fetch.queue.backoff.ms
        #expect(!FetchWaker.isNeeded(librdkafkaVersion: 0x0206_00ff))
        #expect(!FetchWaker.isNeeded(librdkafkaVersion: 0x0200_02ff, clientRack: "eu-west-1a"))  // follower fetching
        #expect(FetchWaker.isNeeded(librdkafkaVersion: 0x0200_02ff, clientRack: ""))
    }

    @Test func anEmptiedFullQueueWakesTheFetchersAndATrickleDoesNot() async throws {
        let cluster = try MockKafkaCluster(brokers: 2)
        try cluster.createTopic("t", partitions: 2)
        // One record per batch, as when each send was awaited: the mock answers a Fetch with
        // whole batches, and one batch of hundreds of records would fill the queue once instead
        // of many times (the backlog could then be read without ever finding the queue empty).
        let producer = try KafkaProducer(
            properties: ["bootstrap.servers": cluster.bootstrapServers, "batch.num.messages": "1"], logger: quietLogger)
        let value = [UInt8](repeating: 0x61, count: 1_000)
        // Sent all at once and flushed (not one acknowledgement awaited after another).
        let failures = Mutex(0)
        for index in 0..<600 {
            producer.send(topic: "t", partition: Int32(index % 2), key: nil, value: value) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        #expect(producer.flush(timeoutMilliseconds: 30_000))
        #expect(failures.withLock { $0 } == 0)
        let consumer = try KafkaConsumer(
            properties: [
                "bootstrap.servers": cluster.bootstrapServers, "group.id": "waker",
                // A queue of 8 KB (the mock answers a Fetch with up to 8 KB per partition): it
                // fills on every fetch, so consuming 600 KB needs many refills.
                "queued.max.messages.kbytes": "8", "max.partition.fetch.bytes": "8192", "fetch.wait.max.ms": "10",
            ],
            logger: quietLogger)
        defer { consumer.close() }
        // Assigned, not subscribed: the wake-ups ask about the assignment either way, and there
        // is no group join to wait for.
        try consumer.assignFromBeginning([TopicPartition(topic: "t", partition: 0), TopicPartition(topic: "t", partition: 1)])
        // Without wake-ups each refill waits up to a second: 600 records would not arrive in time.
        let records = consume(consumer, seconds: 60) { $0.count >= 600 }
        #expect(records.count == 600)
        let needed = FetchWaker.isNeeded(librdkafkaVersion: rd_kafka_version())
        let afterBacklog = consumer.fetchWakeUps
        if needed {
            #expect(afterBacklog > 0, "the backlog was read through a full queue: its fetchers were woken")
        } else {
            #expect(afterBacklog == 0)
        }

        // The backlog's last queue may still wake them once or twice (one under way when the last
        // record arrived holds back the next, which follows when it is done); then nothing.
        for _ in 0..<10 { #expect(consumer.poll(timeoutMilliseconds: 30) == nil) }
        let settled = consumer.fetchWakeUps
        #expect(settled - afterBacklog <= 2)

        // Caught up: a few records, then nothing. Less than half a queue arrives between empty
        // polls, so nothing is sent (a consumer keeping up costs the brokers no extra requests).
        for index in 0..<3 {
            _ = try await producer.send(topic: "t", partition: Int32(index % 2), key: nil, value: Array("small".utf8))
        }
        producer.close()
        let trickle = consume(consumer, seconds: 30) { $0.count >= 3 }
        #expect(trickle.count == 3)
        for _ in 0..<10 { #expect(consumer.poll(timeoutMilliseconds: 30) == nil) }
        #expect(consumer.fetchWakeUps == settled)
    }
}
