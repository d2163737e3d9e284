import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayInput
import RelayKafka
import RelaySandbox
@testable import RelayService
import Synchronization
import Testing

/// The `input` section end to end: the platforms' requests for Segment and Shopify records
/// (preview), bad records routed by the preparer, a jq mapping through the mock cluster and the
/// sandbox, and the configuration's refusals.
@Suite struct InputFormatTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/input-formats")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]

    /// Each platform's section of a preview.
    static func sections(_ output: String) -> [String: String] {
        var sections: [String: String] = [:]
        for platform in platforms {
            guard let start = output.range(of: "=== \(platform) ===") else { continue }
            let rest = output[start.upperBound...]
            let end = rest.range(of: "\n=== ")?.lowerBound ?? rest.endIndex
            sections[platform] = String(rest[..<end])
        }
        return sections
    }

    /// A preview of one USD order (whose event id is its order id) as five platform requests, each
    /// carrying the event id, the hashed email and never the raw one, the currency and the value
    /// (written as any of `valueForms`), none left unsent.
    static func expectFivePlatformRequests(
        _ output: String, format: String, orderID: String, hashedEmail: String, rawEmails: [String], valueForms: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(output.hasPrefix("event_id: \(orderID) (order \(orderID))\ninput: \(format)\n"), sourceLocation: sourceLocation)
        let requests = sections(output)
        #expect(requests.count == 5, "\(output)", sourceLocation: sourceLocation)
        for (platform, section) in requests {
            #expect(section.contains(orderID), "\(platform): event id", sourceLocation: sourceLocation)
            #expect(section.contains(hashedEmail), "\(platform): hashed email", sourceLocation: sourceLocation)
            #expect(!rawEmails.contains { section.contains($0) }, "\(platform): raw email", sourceLocation: sourceLocation)
            #expect(section.contains("USD"), "\(platform): currency", sourceLocation: sourceLocation)
            #expect(valueForms.contains { section.contains($0) }, "\(platform): value\n\(section)", sourceLocation: sourceLocation)
            #expect(!section.contains("not sent"), "\(platform): \(section)", sourceLocation: sourceLocation)
        }
    }

    func preview(_ mapping: any InputMapping, _ record: [UInt8], nowSeconds: Int64) async throws -> String {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        configuration.destinations = try .sandbox(sandbox, http: http)
        configuration.input = InputSettings(mapping: mapping)
        let output = try RequestPreview.render(configuration: configuration, eventBytes: record, nowSeconds: nowSeconds)
        try await sandbox.shutdown()
        return output
    }

    /// The Segment spec's Order Completed example becomes five requests: the order id is the event
    /// id, the email is hashed (lower-cased, SHA-256) and currency and value are carried over.
    @Test func segmentOrderCompletedPreviewsAsFivePlatformRequests() async throws {
        let output = try await preview(SegmentMapping(), try Self.fixture("segment/order-completed.json"), nowSeconds: 1_424_730_535 + 60)
        Self.expectFivePlatformRequests(
            output, format: "segment", orderID: "50314b8e9bcf000000000000",
            hashedEmail: "f111db891a36b76df28abc74867e6c7248f796e045117f0cff27b6e2be25d2df",
            rawEmails: ["Peter@Example.com", "peter@example.com"], valueForms: ["25.00", "25.0", ":25"])
    }

    /// Shopify's documented example has no user agent (`client_details.user_agent: null`), which
    /// Meta requires of website events; a storefront order carries one.
    static func shopifyOrderWithUserAgent() throws -> [UInt8] {
        var order = try JSONSerialization.jsonObject(with: Data(try fixture("shopify/orders-paid.json"))) as! [String: Any]
        var client = order["client_details"] as! [String: Any]
        client["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
        order["client_details"] = client
        return Array(try JSONSerialization.data(withJSONObject: order))
    }

    @Test func shopifyOrdersPaidPreviewsAsFivePlatformRequests() async throws {
        let output = try await preview(ShopifyMapping(), try Self.shopifyOrderWithUserAgent(), nowSeconds: 1_199_980_800 + 60)
        Self.expectFivePlatformRequests(
            output, format: "shopify", orderID: "450789469",
            hashedEmail: "caa7822525c07341082aa1fdde58f99cc7e8e1395ffb28e6fe6fe1776f9dd75e", rawEmails: ["bob.norman@"],
            valueForms: ["598.94"])
        let withoutUserAgent = try await preview(ShopifyMapping(), try Self.fixture("shopify/orders-paid.json"), nowSeconds: 1_199_980_800 + 60)
        #expect(Self.sections(withoutUserAgent)["meta"]?.contains("not sent: missing_required_field (context.user_agent") == true)
    }

    /// A mapped record that is not a valid event is `malformed` with a reason naming the source's
    /// field; the engine routes `malformed` records to the retry topic as it does native ones.
    @Test func theRecordPreparerRefusesABadMappedRecordNamingTheSourceField() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        configuration.destinations = try .sandbox(sandbox, http: http)
        configuration.input = InputSettings(mapping: ShopifyMapping())
        let preparer = RecordPreparer(configuration: configuration, role: .main)
        var order = try JSONSerialization.jsonObject(with: Data(try Self.shopifyOrderWithUserAgent())) as! [String: Any]
        order["processed_at"] = RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - 60)
        order["currency"] = "usd$"
        let record = KafkaRecord(
            position: RecordPosition(topicPartition: TopicPartition(topic: "orders", partition: 0), offset: 0), key: nil,
            value: Array(try JSONSerialization.data(withJSONObject: order)))
        guard case .malformed(let error) = preparer.prepare(record).outcome else {
            Issue.record("a Shopify order in an unknown currency was accepted")
            return
        }
        #expect(error.kind == .schemaViolation)
        #expect(error.path == "/currency")
        #expect(!error.description.contains("usd$"))
        order["currency"] = "USD"
        let good = KafkaRecord(position: record.position, key: nil, value: Array(try JSONSerialization.data(withJSONObject: order)))
        guard case .encoded(let orderID, let eventID, let sends, _) = preparer.prepare(good).outcome else {
            Issue.record("the corrected order was refused")
            return
        }
        #expect(orderID == "450789469" && eventID == "450789469")
        #expect(sends.count == 5)
        try await sandbox.shutdown()
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

    @Test func theInputSectionLoadsEachFormat() throws {
        let base = "kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n"
        let loader = ConfigurationLoader(environment: ["HOME": "/root"])
        #expect(try loader.load(yaml: base).input.format == .native)
        #expect(try loader.load(yaml: base + "input:\n  format: native\n").input.format == .native)
        #expect(try loader.load(yaml: base + "input:\n  format: segment\n").input.format == .segment)
        #expect(try loader.load(yaml: base + "input:\n  format: shopify\n").input.format == .shopify)
        let jq = try loader.load(yaml: base + "input:\n  format: jq\n  program: '{order_id: .id}'\n")
        #expect(jq.input.format == .jq)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("program-\(UUID().uuidString).jq")
        try Data(try Self.fixture("jq/in-house-order.jq")).write(to: file)
        #expect(try loader.load(yaml: base + "input:\n  format: jq\n  program_file: \(file.path)\n").input.format == .jq)
    }

    @Test(arguments: [
        ("input:\n  format: csv\n", "input.format"),
        ("input:\n  format: jq\n", "input.program"),
        ("input:\n  format: jq\n  program: '{order_id: .id'\n", "input.program"),
        ("input:\n  format: jq\n  program_file: /nonexistent/program.jq\n", "input.program_file"),
        ("input:\n  format: shopify\n  program: '.'\n", "input.program"),
        ("input:\n  format: native\n  advertising_category: Ads\n", "input.advertising_category"),
        ("input:\n  formats: jq\n", "input.formats"),
    ])
    func aBadInputSectionStopsStartUpNamingTheKey(section: String, key: String) throws {
        let yaml = "kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n" + section
        expectRefusal(yaml, environment: ["HOME": "/root"], naming: key)
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

extension InputFormatTests {
    /// schemas/config.v1.json and the loader agree on the `input` section.
    @Test func theConfigSchemaAndTheLoaderAgreeOnTheInputSection() throws {
        let base = "kafka:\n  bootstrap_servers: x:9092\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${META_ACCESS_TOKEN}\n"
        let cases: [(String, Bool)] = [
            ("input:\n  format: segment\n  advertising_category: Marketing\n", true),
            ("input:\n  format: shopify\n", true),
            ("input:\n  format: jq\n  program: '{order_id: .id}'\n", true),
            ("input:\n  format: jq\n", false),
            ("input:\n  format: xml\n", false),
            ("input:\n  format: shopify\n  program: '.'\n", false),
            ("input:\n  format: shopify\n  advertising_category: Ads\n", false),
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("input-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [(path: String, valid: Bool)] = []
        for (index, (section, valid)) in cases.enumerated() {
            let file = directory.appendingPathComponent("case-\(index).yaml")
            try (base + section).write(to: file, atomically: true, encoding: .utf8)
            files.append((file.path, valid))
        }
        let report = try configSchemaErrors(files.map(\.path))
        for file in files {
            #expect(report[file.path]?.isEmpty == file.valid, "schema on \(file.path): \(report[file.path] ?? [])")
            let loaded = (try? ConfigurationLoader(environment: ["META_ACCESS_TOKEN": "t"]).load(path: file.path)) != nil
            #expect(loaded == file.valid, "loader on \(file.path)")
        }
    }
}

extension InputFormatTests {
    /// The demo's generated orders (Unicode names, many phone and address formats, consent
    /// choices), published in each shape and mapped back, give the native event's values.
    @Test func generatedOrdersSurviveEveryShape() throws {
        let generator = SampleOrderGenerator(seed: 11, malformedEvery: 0, nowSeconds: Int64(Date().timeIntervalSince1970))
        let mappings: [any InputMapping] = [SegmentMapping(), ShopifyMapping(), try JQMapping(program: SampleOrderGenerator.inHouseProgram)]
        for index in 0..<200 {
            let sample = generator.sample(index)
            let native = try OrderEventDecoder().decode(sample.bytes)
            for mapping in mappings {
                let event = try MappedEventDecoder(mapping: mapping).decode(SampleOrderGenerator.render(sample, as: mapping.format))
                let format = mapping.format
                #expect(
                    event.orderID == (format == .shopify ? String(SampleOrderGenerator.shopifyID(native.orderID)) : native.orderID),
                    "\(format) \(index)")
                #expect(event.currency == native.currency, "\(format) \(index)")
                #expect(event.value.double == native.value.double, "\(format) \(index)")
                #expect(event.occurredAt.epochSeconds == native.occurredAt.epochSeconds, "\(format) \(index)")
                #expect(event.items.map(\.sku) == native.items.map(\.sku), "\(format) \(index)")
                #expect(event.items.map(\.quantity) == native.items.map(\.quantity), "\(format) \(index)")
                #expect(event.customer.email == native.customer.email, "\(format) \(index)")
                #expect(event.customer.phone == native.customer.phone, "\(format) \(index)")
                #expect(event.context.userAgent == native.context.userAgent, "\(format) \(index)")
                // Shopify orders carry no ad consent (buyer_accepts_marketing is email consent).
                #expect(event.consent.marketing == (format == .shopify ? nil : native.consent.marketing), "\(format) \(index)")
            }
        }
    }
}
