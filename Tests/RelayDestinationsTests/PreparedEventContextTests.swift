import RelayCore
import RelayDestinations
import Testing

/// Every context field set at once, plain and needing escapes, long enough together that the
/// copies of the plain ones outgrow their first buffer: each is written as sent, in any order of
/// asking, and again alike.
@Suite struct PreparedEventContextTests {
    @Test(arguments: [false, true])
    func allContextValuesAtOnceAreWrittenAsSent(reversed: Bool) throws {
        var event = try loadExample("minimal")
        let fields = PreparedEventWritingTests.contextFields
        var values: [ContextField: String?] = [:]
        for (index, (field, keyPath)) in fields.enumerated() {
            let value: String? =
                switch index % 4 {
                case 0: "plain-\(index)-" + String(repeating: "v", count: 150)
                case 1: " padded \(index) "
                case 2: "quoted \"\(index)\" " + String(repeating: "w", count: 60)
                default: index == 7 ? nil : index == 11 ? "   " : "short\(index)"
                }
            values[field] = value
            event.context[keyPath: keyPath] = value.map(RawPII.init)
        }
        let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
        let order = reversed ? Array(fields.reversed()) : fields
        for _ in 0..<2 {
            for (field, _) in order {
                let sent = prepared.raw((values[field] ?? nil).map(RawPII.init))?.unredactedValue
                #expect(prepared.hasContext(field) == (sent != nil), "\(field)")
                var writer = JSONWriter(reservingCapacity: 8)
                let wrote = prepared.writeContext(field, member: "<", closing: ">", into: &writer)
                #expect(wrote == (sent != nil), "\(field)")
                let expected = sent.map { "<" + PreparedEventWritingTests.contents($0) + ">" } ?? ""
                #expect(String(decoding: writer.bytes, as: UTF8.self) == expected, "\(field)")
            }
        }
    }
}
