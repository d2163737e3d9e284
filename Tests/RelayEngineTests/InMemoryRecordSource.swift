import Foundation
import RelayCore
import RelayKafka
import RelayService
import Synchronization

/// A consumer-group member in memory, keeping ``RecordSource``'s contract as ``KafkaConsumer``
/// keeps it over librdkafka: partitions are logs of records; an assignment or revoke the test
/// asks for is served *inside* the next `poll`, with the rebalance handler called before the
/// assignment changes (so a revoke handler can still store and commit); offsets stored for a
/// partition not assigned are refused (librdkafka's `__STATE`); stored offsets are committed by
/// `commitStored`, `commitStoredAsync` (answer through `committed` from a later poll), the
/// auto-commit timer, the commit on unassign, and `close`; paused partitions return nothing;
/// `seek` moves the fetch position. Not Kafka: the engine's decisions, not the protocol, are
/// what the tests built on it check (the mock-cluster suites cover the real consumer).
final class InMemoryRecordSource: RecordSource {
    private enum Rebalance {
        case assign([TopicPartition])
        case revoke([TopicPartition], lost: Bool, acceptingCommits: Bool)
    }

    private struct State {
        var logs: [TopicPartition: [KafkaRecord]] = [:]
        var handler: KafkaRebalanceHandler?
        var topics: [String] = []
        var assigned: Set<TopicPartition> = []
        var positions: [TopicPartition: Int64] = [:]
        var paused: Set<TopicPartition> = []
        var stored: [TopicPartition: Int64] = [:]
        var committed: [TopicPartition: Int64] = [:]
        var rebalances: [Rebalance] = []
        var commitAnswers: [Result<[TopicPartition: Int64], KafkaError>] = []
        var lastAutoCommit: Int64 = 0
        var refusedStores: [TopicPartition: Int64] = [:]
        var pauseCalls: [[TopicPartition]] = []
        var resumeCalls: [[TopicPartition]] = []
        var refusingCommits = false
        var closed = false
        var left = false
        var polls = 0
        var fetches: [RecordPosition: [Int64]] = [:]
        var nextPartition = 0
    }

    private let state = Mutex(State())
    /// Wakes a `poll` that waits for records when records or rebalances arrive.
    private let arrivals = NSCondition()
    private let autoCommitIntervalMilliseconds: Int64

    /// `partitions` of `topic`, assigned whole at the first poll after `subscribe` (the join).
    init(topic: String = "orders", partitions: Int, autoCommitIntervalMilliseconds: Int64 = 20) {
        self.autoCommitIntervalMilliseconds = autoCommitIntervalMilliseconds
        state.withLock { state in
            for partition in 0..<partitions { state.logs[TopicPartition(topic: topic, partition: Int32(partition))] = [] }
        }
    }

    // MARK: What the test does

    /// Appends records (their values) to a partition; returns their offsets.
    @discardableResult
    func append(
        _ values: [[UInt8]], to partition: TopicPartition, key: [UInt8]? = nil, headers: [(name: String, value: String)] = []
    ) -> Range<Int64> {
        let range = state.withLock { state in
            let start = Int64(state.logs[partition, default: []].count)
            for (index, value) in values.enumerated() {
                let position = RecordPosition(topicPartition: partition, offset: start + Int64(index))
                state.logs[partition, default: []].append(KafkaRecord(position: position, key: key, value: value, headers: headers))
            }
            return start..<(start + Int64(values.count))
        }
        wake()
        return range
    }

    /// Revokes `partitions` at the next poll (`lost`: the group already gave them away).
    /// `acceptingCommits`: from that revoke on (its handler included), commits are accepted
    /// again (see ``refuseCommits(_:)``): the group moved on.
    func revoke(_ partitions: [TopicPartition], lost: Bool = false, acceptingCommits: Bool = false) {
        state.withLock { $0.rebalances.append(.revoke(partitions, lost: lost, acceptingCommits: acceptingCommits)) }
        wake()
    }

    /// Assigns `partitions` at the next poll.
    func assign(_ partitions: [TopicPartition]) {
        state.withLock { $0.rebalances.append(.assign(partitions)) }
        wake()
    }

    /// While true, the coordinator refuses every commit as a rebalancing group does
    /// (REBALANCE_IN_PROGRESS): `commitStored` throws, asynchronous commits are answered with the
    /// error, and the auto-commit and the commit on unassign commit nothing.
    func refuseCommits(_ refusing: Bool) { state.withLock { $0.refusingCommits = refusing } }

    /// Another member of the group commits `offset` for `partition` (it owned it meanwhile).
    func commitAsAnotherMember(_ partition: TopicPartition, offset: Int64) { state.withLock { $0.committed[partition] = offset } }

    func committedOffset(_ partition: TopicPartition) -> Int64? { state.withLock { $0.committed[partition] } }
    func storedOffset(_ partition: TopicPartition) -> Int64? { state.withLock { $0.stored[partition] } }
    func end(_ partition: TopicPartition) -> Int64 { state.withLock { Int64($0.logs[partition, default: []].count) } }
    var assignment: Set<TopicPartition> { state.withLock { $0.assigned } }
    var pausedPartitions: Set<TopicPartition> { state.withLock { $0.paused } }
    var pauseCalls: [[TopicPartition]] { state.withLock { $0.pauseCalls } }
    var resumeCalls: [[TopicPartition]] { state.withLock { $0.resumeCalls } }
    /// Offsets the engine tried to store for partitions it no longer owned (refused).
    var refusedStores: [TopicPartition: Int64] { state.withLock { $0.refusedStores } }
    /// Whether `close` left the group (after the final revoke and commit).
    var leftGroup: Bool { state.withLock { $0.left } }
    /// When the record at `position` was handed out by `poll`, each time (epoch milliseconds).
    func fetchTimes(_ position: RecordPosition) -> [Int64] { state.withLock { $0.fetches[position] ?? [] } }
    /// Calls of `poll` so far.
    var polls: Int { state.withLock { $0.polls } }
    /// Records handed out so far per partition (the fetch position).
    func position(_ partition: TopicPartition) -> Int64? { state.withLock { $0.positions[partition] } }

    // MARK: RecordSource

    func subscribe(topics: [String], handler: KafkaRebalanceHandler) throws(KafkaError) {
        state.withLock { state in
            state.topics = topics
            state.handler = handler
            // The join: every partition of the subscribed topics, at the first poll.
            let partitions = state.logs.keys.filter { topics.contains($0.topic) }.sorted()
            state.rebalances.append(.assign(partitions))
        }
    }

    func poll(timeoutMilliseconds: Int32) -> KafkaConsumerEvent? {
        state.withLock { $0.polls += 1 }
        let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
        while true {
            serveRebalancesAndCommits()
            if let record = nextRecord() { return .record(record) }
            arrivals.lock()
            let waited = Date() < deadline && arrivals.wait(until: min(deadline, Date().addingTimeInterval(0.005)))
            arrivals.unlock()
            if !waited && Date() >= deadline { return nil }
        }
    }

    func storeOffsets(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        let refused: Bool = state.withLock { state in
            var refused = false
            for (partition, offset) in offsets {
                if state.assigned.contains(partition) {
                    state.stored[partition] = offset
                } else {
                    state.refusedStores[partition] = offset
                    refused = true
                }
            }
            return refused
        }
        if refused {
            throw KafkaError(code: .underlying, message: "offsets_store: partition not assigned", rdKafkaCode: KafkaError.RDKafkaCode.state)
        }
    }

    func commitStored(timeoutMilliseconds: Int32) throws(KafkaError) {
        let refused = state.withLock { state in
            guard !state.refusingCommits else { return true }
            _ = Self.commit(&state, partitions: nil)
            return false
        }
        if refused { throw Self.rebalanceInProgress }
    }

    func commitStoredAsync() throws(KafkaError) {
        state.withLock { state in
            guard !state.refusingCommits else {
                state.commitAnswers.append(.failure(Self.rebalanceInProgress))
                return
            }
            let committed = Self.commit(&state, partitions: nil)
            if !committed.isEmpty { state.commitAnswers.append(.success(committed)) }
        }
    }

    private static let rebalanceInProgress = KafkaError(
        code: .underlying, message: "commit: Broker: Group rebalance in progress", rdKafkaCode: KafkaError.RDKafkaCode.rebalanceInProgress)

    func committed(_ partitions: [TopicPartition], timeoutMilliseconds: Int32) throws(KafkaError) -> [TopicPartition: Int64?] {
        state.withLock { state in Dictionary(uniqueKeysWithValues: partitions.map { ($0, state.committed[$0]) }) }
    }

    func seek(_ partition: TopicPartition, to offset: Int64) throws(KafkaError) {
        let assigned = state.withLock { state in
            guard state.assigned.contains(partition) else { return false }
            state.positions[partition] = offset
            return true
        }
        guard assigned else {
            throw KafkaError(code: .underlying, message: "seek \(partition): not assigned", rdKafkaCode: KafkaError.RDKafkaCode.state)
        }
        wake()
    }

    func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        state.withLock { state in
            state.pauseCalls.append(partitions)
            state.paused.formUnion(partitions)
        }
    }

    func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        state.withLock { state in
            state.resumeCalls.append(partitions)
            state.paused.subtract(partitions)
        }
        wake()
    }

    func lag(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        state.withLock { state in
            var lag: [TopicPartition: Int64] = [:]
            for partition in partitions {
                guard let position = state.positions[partition] else { continue }
                lag[partition] = Int64(state.logs[partition, default: []].count) - position
            }
            return lag
        }
    }

    var fetchWakeUps: Int { 0 }

    /// The final revoke (handler, then the commit on unassign), then leaves the group.
    func close() {
        let (handler, owned) = state.withLock { state -> (KafkaRebalanceHandler?, [TopicPartition]) in
            guard !state.closed else { return (nil, []) }
            state.closed = true
            return (state.handler, state.assigned.sorted())
        }
        guard let handler else { return }
        if !owned.isEmpty { unassign(owned, lost: false, handler: handler) }
        state.withLock { $0.left = true }
    }

    /// Leaves without the final revoke or commit (a crash, as the group sees it).
    func abandon() {
        state.withLock { state in
            state.closed = true
            state.assigned = []
        }
    }

    // MARK: Inside poll

    /// Runs the rebalances asked for (handlers first, then the assignment changes), then the
    /// answers to asynchronous commits and the auto-commit, as librdkafka serves them from poll.
    private func serveRebalancesAndCommits() {
        let (rebalances, handler) = state.withLock { state in
            defer { state.rebalances = [] }
            return (state.rebalances, state.handler)
        }
        guard let handler else { return }
        for rebalance in rebalances {
            switch rebalance {
            case .assign(let partitions):
                let starts = handler.startingOffsets(partitions)
                handler.assigned(partitions)
                state.withLock { state in
                    for partition in partitions {
                        state.assigned.insert(partition)
                        state.positions[partition] = starts[partition] ?? state.committed[partition] ?? 0
                    }
                }
            case .revoke(let partitions, let lost, let acceptingCommits):
                if acceptingCommits { state.withLock { $0.refusingCommits = false } }
                unassign(partitions, lost: lost, handler: handler)
            }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let answers: [Result<[TopicPartition: Int64], KafkaError>] = state.withLock { state in
            if now - state.lastAutoCommit >= autoCommitIntervalMilliseconds, !state.refusingCommits {
                state.lastAutoCommit = now
                let committed = Self.commit(&state, partitions: nil)
                if !committed.isEmpty { state.commitAnswers.append(.success(committed)) }
            }
            defer { state.commitAnswers = [] }
            return state.commitAnswers
        }
        for answer in answers { handler.committed(answer) }
    }

    /// The revoke handler (assignment still in place), then librdkafka's commit on unassign
    /// (not for lost partitions), then the partitions go.
    private func unassign(_ partitions: [TopicPartition], lost: Bool, handler: KafkaRebalanceHandler) {
        handler.revoked(partitions, lost)
        state.withLock { state in
            if !lost, !state.refusingCommits { _ = Self.commit(&state, partitions: Set(partitions)) }
            for partition in partitions {
                state.assigned.remove(partition)
                state.positions[partition] = nil
                state.stored[partition] = nil
            }
        }
    }

    /// Commits the stored offsets of the assigned partitions (of `partitions`, when given) that
    /// moved; returns what it committed.
    private static func commit(_ state: inout State, partitions: Set<TopicPartition>?) -> [TopicPartition: Int64] {
        var committed: [TopicPartition: Int64] = [:]
        for (partition, offset) in state.stored where state.assigned.contains(partition) && partitions?.contains(partition) ?? true {
            guard state.committed[partition] != offset else { continue }
            state.committed[partition] = offset
            committed[partition] = offset
        }
        return committed
    }

    /// The next record of an assigned, unpaused partition, partitions taken in turn.
    private func nextRecord() -> KafkaRecord? {
        state.withLock { state in
            let readable = state.assigned.subtracting(state.paused).sorted()
            guard !readable.isEmpty else { return nil }
            for step in 0..<readable.count {
                let partition = readable[(state.nextPartition + step) % readable.count]
                guard let position = state.positions[partition], let log = state.logs[partition], position < Int64(log.count) else {
                    continue
                }
                state.positions[partition] = position + 1
                state.fetches[log[Int(position)].position, default: []].append(Int64(Date().timeIntervalSince1970 * 1000))
                state.nextPartition = (state.nextPartition + step + 1) % readable.count
                return log[Int(position)]
            }
            return nil
        }
    }

    private func wake() {
        arrivals.lock()
        arrivals.broadcast()
        arrivals.unlock()
    }
}
