import Foundation
import RelayCore
import RelayInput
import RelayKafka
import RelaySandbox
import RelayService
import Synchronization
import Testing

/// The `input` section end to end: a jq mapping through the mock cluster and the sandbox, and the
/// executable's commands (the rest, without Kafka: RelayServiceTests.InputFormatTests).
@Suite struct InputFormatEndToEndTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/input-formats")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// A made-up in-house shape, mapped by a jq program, through the mock cluster and the sandbox:
    /// good records reach the platform under their in-house order reference, bad ones go to the
    /// retry topic with reasons that name the field and quote nothing.
    @Test func aJQMappingRunsEndToEndThroughKafkaAndTheSandbox() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let template = try JSONSerialization.jsonObject(with: Data(try Self.fixture("jq/in-house-order.json"))) as! [String: Any]
        let now = Int64(Date().timeIntervalSince1970)
        var records: [(key: String, value: [UInt8])] = []
        for index in 0..<30 {
            var order = template
            var header = order["order"] as! [String: Any]
            header["ref"] = index % 10 == 9 ? nil : "INH-\(index)"
            header["placed"] = RFC3339.format(epochSeconds: now - 120)
            order["order"] = header
            records.append(("INH-\(index)", Array(try JSONSerialization.data(withJSONObject: order))))
        }
        records.append(("not-json", Array("{\"order\": {\"ref\": \"secret-ref\"".utf8)))
        try await publish(records, to: fixture)

        var configuration = fixture.configuration(group: "jq-input")
        configuration.input = InputSettings(mapping: try JQMapping(program: String(decoding: try Self.fixture("jq/in-house-order.jq"), as: UTF8.self)))
        let relay = try RunningRelay(configuration)
        let inspector = try fixture.inspector(group: "jq-input")
        let settled = try await eventually(seconds: 60) {
            let offsets = try inspector.committedAndEnd(topic: "orders")
            return offsets.end == 31 && offsets.committed == 31
        }
        try await relay.stop()
        #expect(settled)

        let expected = Set((0..<30).filter { $0 % 10 != 9 }.map { "INH-\($0)" })
        expectSameEventIDs(Set(fixture.sandbox.receipts("meta").map(\.eventID)), expected)
        let retry = try fixture.readAll("orders.conversion-retry", expected: 4)
        #expect(retry.count == 4)
        var reasons: [String] = []
        for record in retry {
            let envelope = try #require(RetryEnvelope(headers: record.headers))
            reasons.append("\(envelope.errorClass) \(envelope.reason)")
            #expect(!envelope.reason.contains("secret-ref") && !envelope.reason.contains("Jane"))
        }
        #expect(reasons.filter { $0.hasPrefix("schema_violation /order_id: expected string, found null (as /order_id of the jq mapping)") }.count == 3, "\(reasons)")
        #expect(reasons.filter { $0.hasPrefix("malformed_json") }.count == 1, "\(reasons)")
        #expect(relay.engine.statistics.poison == 4)
    }

    func publish(_ records: [(key: String, value: [UInt8])], to fixture: Fixture) async throws {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": fixture.cluster.bootstrapServers], logger: testLogger)
        defer { producer.close() }
        let failures = Mutex(0)
        for record in records {
            producer.send(topic: fixture.topic, key: Array(record.key.utf8), value: record.value) { result in
                if case .failure = result { failures.withLock { $0 += 1 } }
            }
        }
        #expect(producer.flush(timeoutMilliseconds: 60_000))
        #expect(failures.withLock { $0 } == 0)
    }

    /// `check-config` exits 78 on a jq program that does not compile, naming the key; `preview`
    /// reads a Shopify body when the configuration says so.
    @Test func theCommandsKnowTheInputSection() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let base = "kafka:\n  bootstrap_servers: \"127.0.0.1:1\"\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n"
        let bad = directory.appendingPathComponent("bad.yaml")
        try (base + "input:\n  format: jq\n  program: '{order_id: .id'\n").write(to: bad, atomically: true, encoding: .utf8)
        let check = try RelayExecutable.run(["check-config", "--config", bad.path])
        let checkOutput = check.output
        #expect(check.status == 78, "\(checkOutput)")
        #expect(checkOutput.contains("configuration error: input.program: the jq program does not compile"), "\(checkOutput)")

        let good = directory.appendingPathComponent("good.yaml")
        try (base + "input:\n  format: shopify\n").write(to: good, atomically: true, encoding: .utf8)
        #expect(try RelayExecutable.run(["check-config", "--config", good.path]).output.contains("input shopify"))

        var order = try JSONSerialization.jsonObject(with: Data(try Self.fixture("shopify/orders-paid.json"))) as! [String: Any]
        order["processed_at"] = RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - 60)
        let event = directory.appendingPathComponent("order.json")
        try JSONSerialization.data(withJSONObject: order).write(to: event)
        let preview = try RelayExecutable.run(["preview", "--config", good.path, "--event", event.path])
        let previewOutput = preview.output
        #expect(preview.status == 0, "\(previewOutput)")
        #expect(previewOutput.hasPrefix("event_id: 450789469 (order 450789469)\ninput: shopify\n"), "\(previewOutput)")
    }
}
