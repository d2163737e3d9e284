import Foundation
import Logging
import RelayCore
import RelayKafka
import Synchronization
import Testing

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .error
    return logger
}()

/// Polls `consumer` until `done` says so or the deadline passes; returns the records seen.
func consume(
    _ consumer: KafkaConsumer, seconds: Double = 30, until done: ([KafkaRecord]) -> Bool
) -> [KafkaRecord] {
    var records: [KafkaRecord] = []
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline, !done(records) {
        if case .record(let record)? = consumer.poll(timeoutMilliseconds: 100) { records.append(record) }
    }
    return records
}

@Suite(.serialized) struct KafkaClientTests {
    /// librdkafka 2.0.2's mock completes a rebalance after `session.timeout.ms` less one second
    /// (the second member below joins while the first one's leave is being completed), and
    /// expires a member whose first JoinGroup, answered after a fixed 3 s, outlasts it: 3 s is
    /// the shortest that works.
    let groupProperties = ["session.timeout.ms": "3000", "heartbeat.interval.ms": "300"]

    @Test func storedOffsetsAreCommittedAndAnotherMemberResumesThere() async throws {
        let cluster = try MockKafkaCluster(brokers: 3)
        try cluster.createTopic("t", partitions: 2)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers], logger: quietLogger)
        for index in 0..<100 {
            let report = try await producer.send(
                topic: "t", partition: Int32(index % 2), key: Array("k\(index)".utf8), value: Array("v\(index)".utf8),
                headers: [("relay.attempt", "\(index)")])
            #expect(report.offset == Int64(index / 2))
        }
        producer.close()

        var properties = groupProperties
        properties["bootstrap.servers"] = cluster.bootstrapServers
        properties["group.id"] = "g1"
        let assigned = Mutex<[TopicPartition]>([])
        let first = try KafkaConsumer(properties: properties, logger: quietLogger)
        try first.subscribe(
            topics: ["t"],
            handler: KafkaRebalanceHandler(assigned: { partitions in assigned.withLock { $0 += partitions } }, revoked: { _, _ in }))
        let records = consume(first) { $0.count >= 100 }
        #expect(records.count == 100)
        #expect(assigned.withLock { Set($0) } == [TopicPartition(topic: "t", partition: 0), TopicPartition(topic: "t", partition: 1)])
        let sample = try #require(records.first { $0.value == Array("v7".utf8) })
        #expect(sample.headers.first?.name == "relay.attempt")
        #expect(sample.headers.first?.value == "7")
        #expect(sample.key == Array("k7".utf8))
        // Store "next offset to read" = 25 on both partitions: offsets 0...24 are processed.
        try first.storeOffsets([TopicPartition(topic: "t", partition: 0): 25, TopicPartition(topic: "t", partition: 1): 25])
        try first.commitStored()
        // Committed when the call returns, before the member leaves (close would commit too).
        let inspector = try KafkaGroupInspector(bootstrapServers: cluster.bootstrapServers, groupID: "g1")
        #expect(try inspector.committedOffsets(topic: "t").values.map { $0 } == [25, 25])
        #expect(try inspector.committedAndEnd(topic: "t") == (committed: 50, end: 100))
        try first.commitStored()  // nothing new stored: not an error
        first.close()

        // The second member does not read headers: its records come without them.
        let second = try KafkaConsumer(properties: properties, logger: quietLogger, readsHeaders: false)
        try second.subscribe(topics: ["t"], handler: KafkaRebalanceHandler(assigned: { _ in }, revoked: { _, _ in }))
        let rest = consume(second) { $0.count >= 50 }
        #expect(rest.count == 50)
        #expect(rest.allSatisfy { $0.headers.isEmpty })
        #expect(rest.allSatisfy { $0.position.offset >= 25 })
        #expect(Set(rest.map(\.value)).count == 50)
        second.close()
    }

    @Test func storingForAPartitionNotAssignedFailsWithState() throws {
        let cluster = try MockKafkaCluster(brokers: 1)
        try cluster.createTopic("t", partitions: 1)
        var properties = groupProperties
        properties["bootstrap.servers"] = cluster.bootstrapServers
        properties["group.id"] = "g2"
        let consumer = try KafkaConsumer(properties: properties, logger: quietLogger)
        #expect(throws: KafkaError.self) { try consumer.storeOffsets([TopicPartition(topic: "t", partition: 0): 1]) }
        do {
            try consumer.storeOffsets([TopicPartition(topic: "t", partition: 0): 1])
        } catch {
            #expect(error.isPartitionNotAssigned)
        }
        consumer.close()
    }

    @Test func producerSurvivesInjectedBrokerErrors() async throws {
        let cluster = try MockKafkaCluster(brokers: 3)
        try cluster.createTopic("t", partitions: 1)
        cluster.pushRequestErrors(.produce, errors: [KafkaError.RDKafkaCode.notLeaderForPartition, KafkaError.RDKafkaCode.requestTimedOut])
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers], logger: quietLogger)
        let report = try await producer.send(topic: "t", key: nil, value: Array("x".utf8))
        #expect(report.offset == 0)
        #expect(try producer.watermarks(TopicPartition(topic: "t", partition: 0)).high == 1)
        producer.close()
    }

    /// `prepare` looks topics up before their first send (the engine readies its retry and
    /// dead-letter topics that way at start) and names those it could not look up in time.
    @Test func prepareLooksTopicsUpAndNamesThoseItCannot() async throws {
        let cluster = try MockKafkaCluster(brokers: 1)
        try cluster.createTopic("retry", partitions: 2)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers], logger: quietLogger)
        #expect(producer.prepare(topics: ["retry"], timeoutMilliseconds: 10_000).isEmpty)
        let report = try await producer.send(topic: "retry", partition: 1, key: nil, value: Array("x".utf8))
        #expect(report == KafkaDeliveryReport(topicPartition: TopicPartition(topic: "retry", partition: 1), offset: 0))
        cluster.setBrokerDown(nil)
        let failures = producer.prepare(topics: ["retry", "retry", "dead-letters"], timeoutMilliseconds: 300)
        #expect(Set(failures.keys) == ["retry", "dead-letters"])
        producer.close(flushTimeoutMilliseconds: 100)
    }

    @Test func badPropertiesNameTheKey() {
        do {
            _ = try KafkaProducer(properties: ["no.such.property": "1"], logger: quietLogger)
            Issue.record("expected a configuration error")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("no.such.property"))
        }
        do {
            _ = try KafkaProducer(properties: ["sasl.password": "hunter2-secret", "linger.ms": "x"], logger: quietLogger)
        } catch {
            #expect(!error.message.contains("hunter2"))
        }
    }
}

/// A closed producer refuses sends with a typed error instead of producing on its destroyed
/// handle (a late retry-topic write after shutdown did that).
@Suite struct ClosedProducerTests {
    @Test func aClosedProducerRefusesSendsWithATypedError() async throws {
        let cluster = try MockKafkaCluster(brokers: 1)
        try cluster.createTopic("t", partitions: 1)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers], logger: quietLogger)
        _ = try await producer.send(topic: "t", key: nil, value: Array("before".utf8))
        producer.close()
        let result = await withCheckedContinuation { continuation in
            producer.send(topic: "t", key: nil, value: Array("after".utf8)) { continuation.resume(returning: $0) }
        }
        guard case .failure(let error) = result else {
            Issue.record("a send after close must fail")
            return
        }
        #expect(error.code == .closed)
    }
}
