import Foundation
import RelayCore
import RelayHTTP
import RelayKafka
import RelayService
import Synchronization
import Testing

/// The in-memory boundaries keep the contracts `EngineBoundaries.swift` states (what the engine
/// tests rely on): checked directly, without an engine.
@Suite struct InMemoryBoundaryContractTests {
    /// Every send completes exactly once; after close a send completes with `.closed` and writes nothing.
    @Test func theWriterCompletesEachSendOnceAndRefusesAfterClose() async throws {
        let writer = InMemoryDurableWriter()
        let results = Mutex<[Result<KafkaDeliveryReport, KafkaError>]>([])
        let done = { @Sendable (result: Result<KafkaDeliveryReport, KafkaError>) in results.withLock { $0.append(result) } }
        writer.send(topic: "t", partition: nil, key: nil, value: [1], headers: [], completion: done)
        writer.failNext(1)
        writer.send(topic: "t", partition: nil, key: nil, value: [2], headers: [], completion: done)
        writer.close(flushTimeoutMilliseconds: 0)
        writer.send(topic: "t", partition: nil, key: nil, value: [3], headers: [], completion: done)
        let completed = await eventually { results.withLock { $0.count } == 3 }
        #expect(completed)
        let all = results.withLock { $0 }
        #expect(all.count == 3)
        #expect((try? all[0].get())?.offset == 0)
        #expect(all.filter { if case .failure(let error) = $0 { error.code == .closed } else { false } }.count == 1)
        #expect(writer.written.map(\.value) == [[1]])
        #expect(writer.sendsAfterClose == 1)
    }

    /// Rebalances are served inside `poll`, the handler called before the assignment changes;
    /// stores for partitions not assigned are refused; an asynchronous commit is answered from a
    /// later poll; a paused partition returns nothing; `seek` reads a record again.
    @Test func theSourceServesRebalancesInsidePollAndKeepsOffsetsPerAssignment() throws {
        let source = InMemoryRecordSource(partitions: 2)
        let zero = TopicPartition(topic: "orders", partition: 0), one = TopicPartition(topic: "orders", partition: 1)
        source.append([[0], [1]], to: zero)
        let seen = Mutex<[String]>([])
        try source.subscribe(
            topics: ["orders"],
            handler: KafkaRebalanceHandler(
                assigned: { partitions in seen.withLock { $0.append("assigned \(partitions.count)") } },
                revoked: { partitions, _ in
                    // Still assigned while the handler runs: its store is accepted.
                    seen.withLock { $0.append("revoked \(source.assignment.contains(zero))") }
                    try? source.storeOffsets([zero: 2])
                },
                committed: { result in seen.withLock { $0.append("committed \((try? result.get()) ?? [:])") } }))
        #expect(seen.withLock { $0 }.isEmpty, "nothing happens before the first poll")
        guard case .record(let first)? = source.poll(timeoutMilliseconds: 10) else { Issue.record("no record"); return }
        #expect(first.position.offset == 0)
        #expect(seen.withLock { $0 } == ["assigned 2"])

        try source.storeOffsets([zero: 1])
        try source.commitStoredAsync()
        #expect(source.committedOffset(zero) == 1)
        _ = source.poll(timeoutMilliseconds: 0)
        #expect(seen.withLock { $0 }.contains("committed \([zero: Int64(1)])"))

        try source.pause([zero])
        if case .record? = source.poll(timeoutMilliseconds: 0) { Issue.record("a paused partition returned a record") }
        try source.resume([zero])
        try source.seek(zero, to: 0)
        guard case .record(let again)? = source.poll(timeoutMilliseconds: 10) else { Issue.record("no record after seek"); return }
        #expect(again.position.offset == 0)

        source.revoke([zero])
        _ = source.poll(timeoutMilliseconds: 0)
        #expect(seen.withLock { $0 }.contains("revoked true"))
        #expect(source.committedOffset(zero) == 2, "the commit on unassign commits what the revoke handler stored")
        #expect(source.assignment == [one])
        #expect(throws: KafkaError.self) { try source.storeOffsets([zero: 2]) }
        #expect(source.refusedStores == [zero: 2])
    }
}
