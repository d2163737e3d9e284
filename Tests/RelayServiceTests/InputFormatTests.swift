import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayInput
import RelayKafka
import RelaySandbox
@testable import RelayService
import Testing

/// The `input` section without Kafka: the platforms' requests for Segment and Shopify records
/// (preview), bad records refused by the preparer, the configuration's refusals and the schema.
/// Through the mock cluster and the executable: RelayIntegrationTests.InputFormatEndToEndTests.
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
        guard case .encoded(let orderID, let eventID, let sends, _, _) = preparer.prepare(good).outcome else {
            Issue.record("the corrected order was refused")
            return
        }
        #expect(orderID == "450789469" && eventID == "450789469")
        #expect(sends.count == 5)
        try await sandbox.shutdown()
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
