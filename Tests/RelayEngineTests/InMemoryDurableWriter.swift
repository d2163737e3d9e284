import Dispatch
import RelayCore
import RelayKafka
import RelayService
import Synchronization

/// Topics in memory, keeping ``DurableWriter``'s contract as ``KafkaProducer`` keeps it: every
/// send completes exactly once, on another thread (the producer's); after `close` a send
/// completes with ``KafkaError/Code/closed`` and writes nothing. A test may make the next sends
/// fail, or hold their completions until it answers them (a broker that has not acknowledged yet).
final class InMemoryDurableWriter: DurableWriter {
    /// One record written.
    struct Written: Sendable {
        var topic: String
        var key: [UInt8]?
        var value: [UInt8]
        var headers: [(name: String, value: String)]
        var offset: Int64
    }

    typealias Completion = @Sendable (Result<KafkaDeliveryReport, KafkaError>) -> Void

    private struct Held {
        var record: Written
        var completion: Completion
    }

    private struct State {
        var written: [Written] = []
        var closed = false
        var sends = 0
        var sendsAfterClose = 0
        var failNext = 0
        var holding = false
        var held: [Held] = []
        var prepared: [[String]] = []
        var unpreparable: Set<String> = []
        var onPrepare: (@Sendable () -> Void)? = nil
    }

    private let state = Mutex(State())
    private let completions = DispatchQueue(label: "in-memory-writer-completions")

    /// Records written (acknowledged), in order.
    var written: [Written] { state.withLock { $0.written } }
    func written(to topic: String) -> [Written] { written.filter { $0.topic == topic } }
    var isClosed: Bool { state.withLock { $0.closed } }
    var sends: Int { state.withLock { $0.sends } }
    /// Sends made after `close` (each refused, nothing written).
    var sendsAfterClose: Int { state.withLock { $0.sendsAfterClose } }
    var heldCount: Int { state.withLock { $0.held.count } }

    /// The topics of each `prepare` call, in call order.
    var prepared: [[String]] { state.withLock { $0.prepared } }

    /// `prepare` reports these topics as not readied (a broker that does not answer in time).
    func failPreparing(_ topics: Set<String>) { state.withLock { $0.unpreparable = topics } }

    /// Runs `body` inside each `prepare` call (to see what the engine had done by then).
    func onPrepare(_ body: @escaping @Sendable () -> Void) { state.withLock { $0.onPrepare = body } }

    func prepare(topics: [String], timeoutMilliseconds: Int32) -> [String: KafkaError] {
        let (observer, failing) = state.withLock { state in
            state.prepared.append(topics)
            return (state.onPrepare, state.unpreparable)
        }
        observer?()
        var failures: [String: KafkaError] = [:]
        for topic in topics where failing.contains(topic) {
            failures[topic] = KafkaError(code: .underlying, message: "metadata \(topic): Local: Timed out")
        }
        return failures
    }

    /// The next `count` sends fail (a broker that does not acknowledge in time).
    func failNext(_ count: Int) { state.withLock { $0.failNext = count } }

    /// From now on sends wait for ``answerHeld(with:)``.
    func holdSends() { state.withLock { $0.holding = true } }

    /// Answers the held sends: acknowledged (written) or failed with `error`; stops holding.
    func answerHeld(failing error: KafkaError? = nil) {
        let held: [Held] = state.withLock { state in
            state.holding = false
            defer { state.held = [] }
            if error == nil {
                for index in state.held.indices {
                    state.held[index].record.offset = Int64(state.written.count)
                    state.written.append(state.held[index].record)
                }
            }
            return state.held
        }
        for entry in held {
            let result: Result<KafkaDeliveryReport, KafkaError> = error.map { .failure($0) } ?? .success(Self.report(entry.record))
            completions.async { entry.completion(result) }
        }
    }

    func send(
        topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: String)],
        completion: @escaping Completion
    ) {
        enum Outcome { case refused, failed, held, written(Written) }
        let outcome: Outcome = state.withLock { state in
            state.sends += 1
            if state.closed {
                state.sendsAfterClose += 1
                return .refused
            }
            var record = Written(topic: topic, key: key, value: value, headers: headers, offset: -1)
            if state.failNext > 0 {
                state.failNext -= 1
                return .failed
            }
            if state.holding {
                state.held.append(Held(record: record, completion: completion))
                return .held
            }
            record.offset = Int64(state.written.count)
            state.written.append(record)
            return .written(record)
        }
        switch outcome {
        case .refused:
            completions.async { completion(.failure(KafkaError(code: .closed, message: "produce to \(topic): the producer is closed"))) }
        case .failed:
            let error = KafkaError(
                code: .underlying, message: "produce to \(topic): Local: Message timed out", rdKafkaCode: KafkaError.RDKafkaCode.messageTimedOut)
            completions.async { completion(.failure(error)) }
        case .held:
            break
        case .written(let record):
            completions.async { completion(.success(Self.report(record))) }
        }
    }

    func close(flushTimeoutMilliseconds: Int32) {
        state.withLock { $0.closed = true }
    }

    private static func report(_ record: Written) -> KafkaDeliveryReport {
        KafkaDeliveryReport(topicPartition: TopicPartition(topic: record.topic, partition: 0), offset: record.offset)
    }
}
