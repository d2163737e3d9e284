import Dispatch
import Foundation
import RelayCore
import RelayInput
import Testing

/// jq programs through libjq: compile errors at start-up, one object per record, refusals that
/// quote nothing, and states that are never shared between threads.
@Suite struct JQMappingTests {
    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: BuiltInMappingTests.fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func theInHouseProgramMapsTheInHouseShape() throws {
        let mapping = try JQMapping(program: try Self.fixture("jq/in-house-order.jq"))
        let event = try MappedEventDecoder(mapping: mapping).decode(Array(try Self.fixture("jq/in-house-order.json").utf8))
        #expect(event.orderID == "INH-2026-000417")
        #expect(event.occurredAt.rfc3339 == "2026-12-06T18:30:00+01:00")
        #expect(event.currency == "EUR")
        #expect(event.value.double == 129.9)
        #expect(event.items.map(\.sku) == ["SKU-RED-42", "SKU-BAG"])
        #expect(event.items.map(\.quantity) == [2, 1])
        #expect(event.items.map(\.price.double) == [49.95, 30])
        #expect(event.customer.email?.unredactedValue == "Jane.Doe@Example.org")
        #expect(event.customer.country?.unredactedValue == "DE")
        #expect(event.context.ip?.unredactedValue == "203.0.113.7")
        #expect(event.consent.marketing == true)
    }

    @Test func aProgramThatDoesNotCompileIsRefusedWithJQsMessage() {
        do {
            _ = try JQMapping(program: "{order_id: .order.ref")
            Issue.record("compiled")
        } catch {
            #expect(error.description.contains("syntax error"), "\(error.description)")
        }
        #expect(throws: JQProgram.CompileError.self) { try JQMapping(program: "undefined_function_xyz(.)") }
    }

    @Test func refusalsNameTheRuleAndNoValue() throws {
        func reason(_ program: String, _ record: String) throws -> String {
            let decoder = MappedEventDecoder(mapping: try JQMapping(program: program))
            do {
                _ = try decoder.decode(Array(record.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        let record = #"{"ref":"secret@example.com","n":1}"#
        #expect(try reason(#"error(.ref)"#, record).hasPrefix("the jq program raised an error"))
        #expect(try reason(#".ref + 1"#, record).hasPrefix("the jq program raised an error"))
        #expect(try reason("empty", record) == "the jq program produced no output")
        #expect(try reason(".n, .n", record) == "the jq program produced more than one output")
        #expect(try reason(".ref", record) == "the jq program's output must be an object, not string")
        let missing = try reason(#"{schema_version: 1, event_type: "order.completed", order_id: .ref}"#, record)
        #expect(missing.hasPrefix("/occurred_at: is required"), "\(missing)")
        #expect(try reason(".", "{\"ref\":") .hasPrefix("unexpected end"))
        for text in [missing, try reason(#"error(.ref)"#, record), try reason(#".ref + 1"#, record)] {
            #expect(!text.contains("secret@example.com"))
        }
    }

    /// Many threads at once: every record gets its own output, and the pool holds at most one
    /// compiled state per thread that ran at the same time.
    @Test func concurrentRunsNeverShareAState() throws {
        let program = try JQProgram(source: #"{id: .id, twice: (.id * 2)}"#)
        let results = ResultsBox(count: 2000)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in stride(from: worker, to: 2000, by: 8) {
                let output = try? program.run(Array(#"{"id":\#(index)}"#.utf8)).get()
                results.set(index, output.map { String(decoding: $0, as: UTF8.self) })
            }
        }
        for index in 0..<2000 {
            #expect(results.get(index) == #"{"id":\#(index),"twice":\#(index * 2)}"#)
        }
        #expect(program.compiledStates >= 1 && program.compiledStates <= 8)
    }
}

/// Results written by several threads, each to its own slots.
final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: String?) { lock.withLock { values[index] = value } }
    func get(_ index: Int) -> String? { lock.withLock { values[index] } }
}
