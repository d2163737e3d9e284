import Foundation
import RelayCore
import Testing

/// The Swift decoder must accept exactly what `schemas/order-completed.v1.json` accepts.
@Suite struct SchemaAgreementTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let examples = root.appendingPathComponent("schemas/examples")

    static func files(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(
            at: examples.appendingPathComponent(folder), includingPropertiesForKeys: nil
        ).sorted { $0.path < $1.path }
    }

    /// Runs every example through Python `jsonschema` (schemas/validate.py) in one process.
    static func pythonVerdicts(_ files: [URL]) throws -> [String: Bool] {
        let process = Process()
        // The project's Python environment (scripts/setup.sh), not whatever python3 is on the PATH.
        process.executableURL = root.appendingPathComponent(".venv/bin/python3")
        process.arguments = [root.appendingPathComponent("schemas/validate.py").path] + files.map(\.path)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "schemas/validate.py failed; run scripts/setup.sh")
        return try JSONSerialization.jsonObject(with: data) as? [String: Bool] ?? [:]
    }

    @Test func everyExampleGetsTheSameVerdictFromSwiftAndPython() throws {
        let valid = try Self.files("valid")
        let invalid = try Self.files("invalid")
        #expect(valid.count >= 5)
        #expect(invalid.count >= 30)
        let python = try Self.pythonVerdicts(valid + invalid)
        let decoder = OrderEventDecoder()
        for (files, expected) in [(valid, true), (invalid, false)] {
            for file in files {
                let bytes = try [UInt8](Data(contentsOf: file))
                let swiftVerdict = (try? decoder.decode(bytes)) != nil
                #expect(python[file.path] == expected, "python says \(String(describing: python[file.path])) for \(file.lastPathComponent)")
                #expect(swiftVerdict == expected, "swift says \(swiftVerdict) for \(file.lastPathComponent)")
            }
        }
    }

    @Test func decodesEveryFieldOfTheFullExample() throws {
        let bytes = try [UInt8](Data(contentsOf: Self.examples.appendingPathComponent("valid/full.json")))
        let event = try OrderEventDecoder().decode(bytes)
        #expect(event.orderID == "ORD-1001")
        #expect(event.occurredAt.epochSeconds == 1_795_688_130)  // 2026-11-26T10:15:30Z
        #expect(event.currency == "EUR")
        #expect(event.value.literal == "129.9")
        #expect(event.storeID == "shop-de")
        #expect(event.items.count == 2)
        #expect(event.items[1].quantity == 3)
        #expect(event.items[1].price.literal == "9.95")
        #expect(event.customer.email?.unredactedValue == "  Jane.Doe+shop@Example.com ")
        #expect(event.customer.country?.unredactedValue == "DE")
        #expect(event.context.fbc?.unredactedValue == "fb.1.1732600000000.IwAR2abcDEF")
        #expect(event.context.gbraid == nil)
        #expect(event.consent.adPersonalization == false)
    }

    @Test func errorsNameTheFieldButNeverTheValue() throws {
        let text = #"{"schema_version":1,"event_type":"order.completed","order_id":"O-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"customer":{"email":12345}}"#
        do {
            _ = try OrderEventDecoder().decode(Array(text.utf8))
            Issue.record("expected a schema violation")
        } catch {
            #expect(error.kind == .schemaViolation)
            #expect(error.path == "/customer/email")
            #expect(!error.description.contains("12345"))
        }
    }
}
