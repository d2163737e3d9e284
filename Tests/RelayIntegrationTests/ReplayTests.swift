import Foundation
import RelayCore
import RelayKafka
@testable import RelayService
import Synchronization
import Testing

/// The replay's decisions (complete, checkpoint, stalled) without Kafka.
@Suite struct ReplayProgressTests {
    static let p0 = TopicPartition(topic: "dlq", partition: 0)
    static let p1 = TopicPartition(topic: "dlq", partition: 1)

    @Test func coversFromTheCheckpointToTheEndAtStart() {
        var progress = ReplayProgress(
            ends: [Self.p0: 10, Self.p1: 4], checkpoints: [Self.p0: 6, Self.p1: nil], lowWatermarks: [Self.p0: 0, Self.p1: 1], now: 0)
        #expect(progress.starts == [Self.p0: 6, Self.p1: 1])
        #expect(progress.total == 7)
        #expect(!progress.isComplete)
        for offset in 6..<10 {
            let inReplay = progress.read(RecordPosition(topicPartition: Self.p0, offset: Int64(offset)), now: 1)
            #expect(inReplay)
        }
        // A record that arrived after the start is not part of this replay.
        let late = progress.read(RecordPosition(topicPartition: Self.p0, offset: 10), now: 2)
        #expect(!late)
        #expect(progress.unfinished == [Self.p1])
        #expect(progress.checkpoint.isEmpty, "nothing is checkpointed before the retry topic acknowledged it")
        progress.flushed()
        #expect(progress.checkpoint == [Self.p0: 10], "never past the end at start")
        for offset in 1..<4 { _ = progress.read(RecordPosition(topicPartition: Self.p1, offset: Int64(offset)), now: 3) }
        #expect(progress.isComplete)
        #expect(progress.scanned == 7)
    }

    @Test func stallsOnlyWhenUnfinishedAndQuiet() {
        var progress = ReplayProgress(ends: [Self.p0: 2], checkpoints: [:], lowWatermarks: [:], now: 0)
        #expect(!progress.hasStalled(now: 1_000, stallAfterMilliseconds: 1_000))
        #expect(progress.hasStalled(now: 1_001, stallAfterMilliseconds: 1_000))
        _ = progress.read(RecordPosition(topicPartition: Self.p0, offset: 1), now: 1_500)
        #expect(progress.isComplete)
        #expect(!progress.hasStalled(now: 10_000, stallAfterMilliseconds: 1_000))
    }

    @Test func aFilterSelectsByDestinationReasonAndTimeTogether() {
        typealias Filter = DeadLetterReplayer.Filter
        let envelope = RetryEnvelope(
            origin: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 0), offset: 3),
            errorClass: "configuration", reason: "pixel refused", destination: "meta", attempt: 3, firstSeenMilliseconds: 1)
        #expect(Filter().matches(envelope, timestamp: 50))
        #expect(Filter(destination: "meta", reason: "configuration", since: 50, until: 50).matches(envelope, timestamp: 50))
        #expect(!Filter(destination: "tiktok").matches(envelope, timestamp: 50))
        #expect(!Filter(destination: "meta", reason: "auth").matches(envelope, timestamp: 50))
        #expect(!Filter(since: 51).matches(envelope, timestamp: 50))
        #expect(!Filter(until: 49).matches(envelope, timestamp: 50))
    }

    @Test func anEmptyOrFullyReplayedTopicIsCompleteAtOnce() {
        #expect(ReplayProgress(ends: [Self.p0: 0], checkpoints: [:], lowWatermarks: [:], now: 0).isComplete)
        #expect(ReplayProgress(ends: [Self.p0: 5], checkpoints: [Self.p0: 5], lowWatermarks: [:], now: 0).isComplete)
        // Retention removed everything: nothing to wait for.
        #expect(ReplayProgress(ends: [Self.p0: 5], checkpoints: [:], lowWatermarks: [Self.p0: 5], now: 0).isComplete)
    }
}

/// `conversion-relay replay` against the mock cluster: to the end at start, checkpointed, and a
/// non-zero outcome when it stops early.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ReplayCheckpointTests {
    /// Writes `count` dead letters for `destination` straight to the dead-letter topic.
    static func deadLetters(_ fixture: Fixture, count: Int, destination: String, from first: Int = 0) throws {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": fixture.cluster.bootstrapServers], logger: testLogger)
        defer { producer.close() }
        let failures = Mutex(0)
        for index in first..<(first + count) {
            let envelope = RetryEnvelope(
                origin: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 0), offset: Int64(index)),
                errorClass: "auth", reason: "token refused", destination: destination, attempt: 6, firstSeenMilliseconds: 1)
            producer.send(
                topic: "orders.conversion-dlq", key: Array("order-\(index)".utf8), value: Array("{\"n\":\(index)}".utf8),
                headers: envelope.headers
            ) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        #expect(producer.flush(timeoutMilliseconds: 30_000))
        #expect(failures.withLock { $0 } == 0)
    }

    @Test func aSecondRunResendsNothingAndNewDeadLettersAreReplayedNext() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        try Self.deadLetters(fixture, count: 40, destination: "meta")
        try Self.deadLetters(fixture, count: 10, destination: "tiktok", from: 40)
        let replayer = DeadLetterReplayer(configuration: fixture.configuration(group: "replay-checkpoint"), logger: testLogger)
        let meta = DeadLetterReplayer.Filter(destination: "meta")
        // Another filter has its own checkpoint (its replay group): it runs alongside, on a
        // thread of its own (a replay blocks while it runs).
        let tiktok = Mutex<Result<DeadLetterReplayer.Summary, any Error>?>(nil)
        Thread { tiktok.withLock { $0 = Result { try replayer.replay(.init(destination: "tiktok")) } } }.start()

        #expect(try replayer.replay(meta, dryRun: true) == .init(scanned: 50, replayed: 40))
        #expect(try replayer.replay(meta, progressEverySeconds: 0) == .init(scanned: 50, replayed: 40), "a dry run checkpoints nothing")
        #expect(try replayer.replay(meta) == .init(scanned: 0, replayed: 0), "the second run starts at the checkpoint")
        try Self.deadLetters(fixture, count: 5, destination: "meta", from: 50)
        #expect(try replayer.replay(meta) == .init(scanned: 5, replayed: 5), "only what arrived since")
        #expect(try replayer.replay(meta, fromBeginning: true) == .init(scanned: 55, replayed: 45))
        #expect(await eventually(seconds: 60) { tiktok.withLock { $0 } != nil })
        #expect(try tiktok.withLock { $0 }?.get() == .init(scanned: 50, replayed: 10))
        let retried = try fixture.readAll("orders.conversion-retry", expected: 40 + 5 + 45 + 10)
        #expect(retried.count == 100)
        // Meta's dead letters twice (the first runs, then from the beginning), TikTok's once.
        let copies = Dictionary(grouping: retried, by: { String(decoding: $0.value, as: UTF8.self) }).mapValues(\.count)
        let expectedCopies = Dictionary(uniqueKeysWithValues: (0..<55).map { ("{\"n\":\($0)}", (40..<50).contains($0) ? 1 : 2) })
        #expect(copies == expectedCopies)
    }

    /// A replay that cannot read to the end (here: every request to the broker takes 200 ms, and
    /// joining the replay group takes several of them and the mock's 3 s first-join delay, so no
    /// record arrives within the 1 s stall time) stops with `Stopped`, which the command turns
    /// into a non-zero exit, instead of returning a partial count as if it were done.
    @Test func aReplayThatCannotReachTheEndStopsWithAnError() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 1)
        try Self.deadLetters(fixture, count: 3, destination: "meta")
        let replayer = DeadLetterReplayer(configuration: fixture.configuration(group: "replay-stall"), logger: testLogger)
        fixture.cluster.setRoundTripTime(1, milliseconds: 200)
        defer { fixture.cluster.setRoundTripTime(1, milliseconds: 0) }
        let error = #expect(throws: DeadLetterReplayer.Stopped.self) {
            _ = try replayer.replay(.init(destination: "meta"), stallAfterSeconds: 1)
        }
        #expect(error?.unfinished == [TopicPartition(topic: "orders.conversion-dlq", partition: 0)])
    }
}
