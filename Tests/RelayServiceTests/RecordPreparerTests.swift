import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
@testable import RelayService
import Testing

/// The per-order work runs on several threads at once; what it produces must not depend on that.
@Suite struct RecordPreparerTests {
    /// A readable account of one prepared record: its outcome, and each lane's payload or exclusion.
    static func summary(_ prepared: PreparedRecord) -> String {
        switch prepared.outcome {
        case .malformed(let error): "malformed \(error.description)"
        case .unknownStore(let orderID, let eventID, _): "unknown store \(orderID) \(eventID)"
        case .encoded(let orderID, let eventID, let sends, let exclusions, let sourceBytes):
            "encoded \(orderID) \(eventID) \(sourceBytes) "
                + sends.map { "\($0.lane):\($0.coverage.rawValue):\(String(decoding: $0.payload.bytes, as: UTF8.self))" }.joined(separator: "|")
                + exclusions.map { " excluded \($0.lane):\($0.exclusion.reason)" }.joined()
        }
    }

    @Test func parallelPreparationGivesWhatOneThreadGivesInRecordOrder() async throws {
        let sandbox = try await SandboxServer()
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "localhost:9092"))
        configuration.destinations = try DestinationSettings.sandbox(sandbox, http: CurlHTTPClient())
        let generator = SampleOrderGenerator(seed: 7, malformedEvery: 10, nowSeconds: Int64(Date().timeIntervalSince1970))
        let records = (0..<600).map { index in
            KafkaRecord(
                position: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: Int32(index % 3)), offset: Int64(index)),
                key: nil, value: generator.sample(index).bytes)
        }
        configuration.delivery.preparationThreads = 1
        let sequential = RecordPreparer(configuration: configuration, role: .main).prepare(records)
        configuration.delivery.preparationThreads = 4
        let parallelPreparer = RecordPreparer(configuration: configuration, role: .main)
        #expect(parallelPreparer.lanes.count == 5)
        let parallel = parallelPreparer.prepare(records)
        #expect(parallel.count == records.count)
        #expect(parallel.map(Self.summary) == sequential.map(Self.summary))
        // Every order is there, in record order, and the malformed tenth are recognised.
        let orderIDs = parallel.compactMap { prepared -> String? in
            if case .encoded(let orderID, _, _, _, _) = prepared.outcome { return orderID }
            return nil
        }
        #expect(orderIDs == (0..<600).filter { $0 % 10 != 9 }.map { "ORD-\(100_000 + $0)" })
        #expect(parallel.filter { if case .malformed = $0.outcome { true } else { false } }.count == 60)
        // No array per payload: each thread appends a lane's payloads to one block, one after
        // another, and each payload is the bytes the destination encodes for that event alone.
        for (preparer, prepared, threads) in [(parallelPreparer, parallel, 4), (parallelPreparer, sequential, 1)] {
            var blocks: [Int: Set<ObjectIdentifier>] = [:]
            var bytesPerBlock: [ObjectIdentifier: Int] = [:]
            for record in prepared {
                guard case .encoded(_, _, let sends, _, _) = record.outcome else { continue }
                for send in sends {
                    blocks[send.lane, default: []].insert(ObjectIdentifier(send.payload.block))
                    bytesPerBlock[ObjectIdentifier(send.payload.block), default: 0] += send.payload.count
                }
            }
            #expect(blocks.count == preparer.lanes.count)
            for (lane, laneBlocks) in blocks { #expect(laneBlocks.count == threads, "lane \(lane)") }
            for record in prepared {
                guard case .encoded(_, _, let sends, _, _) = record.outcome else { continue }
                for send in sends {
                    #expect(send.payload.block.writer.count == bytesPerBlock[ObjectIdentifier(send.payload.block)])
                }
            }
        }
    }

    /// Which identifiers each platform's payload carries (the `identifier_events` metric): a blank
    /// click id and an absent phone count as missing, present ones as present.
    @Test func coverageCountsPresentIdentifiersPerPlatform() async throws {
        let sandbox = try await SandboxServer()
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "localhost:9092"))
        configuration.destinations = try DestinationSettings.sandbox(sandbox, http: CurlHTTPClient())
        let example = try fullExampleOrder()
        let now = RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - 60)
        let event = example
            .replacingOccurrences(of: "\"2026-11-26T10:15:30Z\"", with: "\"\(now)\"")
            .replacingOccurrences(of: "\"+49 30 1234567\"", with: "null")
            .replacingOccurrences(of: "\"fb.1.1732600000000.IwAR2abcDEF\"", with: "\"   \"")
            .replacingOccurrences(of: "\"E.C.P.abc\"", with: "\" \"")
        let record = KafkaRecord(
            position: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 0), offset: 0),
            key: Array("order-42".utf8), value: Array(event.utf8))
        let preparer = RecordPreparer(configuration: configuration, role: .main)
        guard case .encoded(_, _, let sends, let exclusions, let sourceBytes) = preparer.prepare(record).outcome else {
            Issue.record("the example was not encoded")
            return
        }
        #expect(exclusions.isEmpty)
        #expect(sourceBytes == event.utf8.count + 8, "the key and value bytes its entries are charged")
        var coverage: [String: PreparedRecord.Coverage] = [:]
        for send in sends { coverage[preparer.lanes[send.lane].label.platform] = send.coverage }
        #expect(coverage["meta"] == [.email])  // fbc blank
        #expect(coverage["google"] == [.email, .clickID])  // gclid
        #expect(coverage["tiktok"] == [.email])  // ttclid blank
        #expect(coverage["pinterest"] == [.email, .clickID])  // epik
        #expect(coverage["snapchat"] == [.email, .clickID])  // sc_click_id
    }

    /// A phone that is not a possible number is left out of every payload and counted as invalid
    /// (identifier `phone_invalid`), never as present (issue 21 item 11).
    @Test func impossiblePhonesAreCountedAsInvalid() async throws {
        let sandbox = try await SandboxServer()
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "localhost:9092"))
        configuration.destinations = try DestinationSettings.sandbox(sandbox, http: CurlHTTPClient())
        let example = try fullExampleOrder()
        let now = RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - 60)
        let preparer = RecordPreparer(configuration: configuration, role: .main)
        func prepare(phone: String) -> (coverage: [String: PreparedRecord.Coverage], payloads: [String]) {
            let event = example
                .replacingOccurrences(of: "\"2026-11-26T10:15:30Z\"", with: "\"\(now)\"")
                .replacingOccurrences(of: "\"+49 30 1234567\"", with: phone)
            let record = KafkaRecord(
                position: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 0), offset: 0),
                key: nil, value: Array(event.utf8))
            guard case .encoded(_, _, let sends, _, _) = preparer.prepare(record).outcome else { return ([:], []) }
            var coverage: [String: PreparedRecord.Coverage] = [:]
            for send in sends { coverage[preparer.lanes[send.lane].label.platform] = send.coverage }
            return (coverage, sends.map { String(decoding: $0.payload.bytes, as: UTF8.self) })
        }
        let valid = prepare(phone: "\"+49 30 1234567\"").coverage
        let junk = prepare(phone: "\"12345\"")
        let absent = prepare(phone: "null")
        #expect(valid.count == 5 && junk.coverage.count == 5)
        // Nothing of the junk number is sent: every payload is the one without a phone.
        #expect(junk.payloads == absent.payloads)
        #expect(absent.coverage.values.allSatisfy { !$0.contains(.invalidPhone) })
        for platform in ["meta", "google", "tiktok", "snapchat"] {
            #expect(valid[platform]?.contains(.phone) == true, "\(platform)")
            #expect(valid[platform]?.contains(.invalidPhone) == false, "\(platform)")
            #expect(junk.coverage[platform]?.contains(.phone) == false, "\(platform)")
            #expect(junk.coverage[platform]?.contains(.invalidPhone) == true, "\(platform)")
        }
    }
}

@Suite struct LogTimestampTests {
    @Test func timestampsAreRFC3339WithMilliseconds() {
        #expect(JSONLogHandler.timestamp(epochSeconds: 1_764_236_731, nanoseconds: 42_999_999) == "2025-11-27T09:45:31.042Z")
        #expect(JSONLogHandler.timestamp(epochSeconds: 0, nanoseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(epochSeconds: 86_399, nanoseconds: 999_999_999) == "1970-01-01T23:59:59.999Z")
        #expect(JSONLogHandler.timestamp(epochSeconds: 1, nanoseconds: 100_000_000) == "1970-01-01T00:00:01.100Z")
    }
}

/// A record's sends are held inline (``PreparedRecord/Sends``): in the order appended, each taken
/// out once, and never more than one per platform.
@Suite struct PreparedRecordSendsTests {
    static func send(lane: Int) -> PreparedRecord.Send {
        PreparedRecord.Send(lane: lane, payload: PayloadSlice(copying: Array("lane \(lane)".utf8)), coverage: [.email])
    }

    @Test func sendsKeepTheirOrderAndAreTakenFromTheEnd() {
        var sends = PreparedRecord.Sends()
        #expect(sends.isEmpty && sends.popLast() == nil)
        for lane in [3, 0, 4, 1, 2] { sends.append(Self.send(lane: lane)) }
        #expect(sends.count == PreparedRecord.Sends.capacity)
        #expect(sends.map(\.lane) == [3, 0, 4, 1, 2])
        #expect(sends.map { String(decoding: $0.payload.bytes, as: UTF8.self) } == ["lane 3", "lane 0", "lane 4", "lane 1", "lane 2"])
        var taken: [Int] = []
        while let send = sends.popLast() { taken.append(send.lane) }
        #expect(taken == [2, 1, 4, 0, 3])
        #expect(sends.isEmpty && sends.popLast() == nil)
        sends.append(Self.send(lane: 7))
        #expect(sends.map(\.lane) == [7], "a slot emptied by popLast is used again")
    }

    /// A taken send's payload is not kept alive by the record it left: its block is freed with
    /// the last slice that holds it.
    @Test func aTakenSendLeavesNoReferenceBehind() {
        var sends = PreparedRecord.Sends()
        sends.append(Self.send(lane: 0))
        weak let block = sends[0].payload.block
        #expect(block != nil)
        _ = sends.popLast()
        #expect(block == nil, "the popped send's block is still referenced")
    }

    @Test func aSixthSendStops() async {
        await #expect(processExitsWith: .failure) {
            var sends = PreparedRecord.Sends()
            for lane in 0...PreparedRecord.Sends.capacity { sends.append(PreparedRecordSendsTests.send(lane: lane)) }
        }
    }
}
