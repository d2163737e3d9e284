import RelayCore
import RelayDestinations
import RelayPII
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

    /// The context's copies share one block with the identifiers (and grow out of it when they
    /// outgrow its room): with plain values of every total length around that room, asked before
    /// the identifiers and after them, every context value and every identifier's wire value is
    /// the same as from an event asked for nothing else.
    @Test(arguments: [0, 1, 2, 3, 4, 5, 7, 8, 9, 24, 40, 41, 90])
    func contextCopiesAndIdentifiersShareTheirBlock(extra: Int) throws {
        var event = try loadExample("full")
        let fields = PreparedEventWritingTests.contextFields
        var values: [ContextField: String] = [:]
        for (index, (field, keyPath)) in fields.enumerated() {
            // 13 values of 36 + `extra` bytes: 468 to 1,638 in all, the room's 512 among them.
            let value = String(repeating: Character(UnicodeScalar(UInt8(0x61 + index))), count: 36 + extra)
            values[field] = value
            event.context[keyPath: keyPath] = RawPII(value)
        }
        func wireValues(_ prepared: PreparedEvent) -> [String] {
            Platform.allCases.flatMap { platform in
                IdentityField.allCases.map { field in
                    var writer = JSONWriter(reservingCapacity: 8)
                    let wrote = prepared.writeWireValue(field, for: platform, into: &writer)
                    return "\(platform) \(field) \(wrote) " + String(decoding: writer.bytes, as: UTF8.self)
                }
            }
        }
        func contextValues(_ prepared: PreparedEvent) -> [String] {
            fields.map { field, _ in
                var writer = JSONWriter(reservingCapacity: 8)
                prepared.writeContext(field, member: "<", closing: ">", into: &writer)
                return String(decoding: writer.bytes, as: UTF8.self)
            }
        }
        let expectedContext = fields.map { "<" + values[$0.0]! + ">" }
        let expectedWire = wireValues(PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds))
        #expect(expectedWire.contains { $0.hasSuffix(" true " + String($0.suffix(64))) && $0.count > 64 })
        let contextFirst = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
        #expect(contextValues(contextFirst) == expectedContext)
        #expect(wireValues(contextFirst) == expectedWire)
        #expect(contextValues(contextFirst) == expectedContext)
        let identifiersFirst = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
        #expect(wireValues(identifiersFirst) == expectedWire)
        #expect(contextValues(identifiersFirst) == expectedContext)
        #expect(wireValues(identifiersFirst) == expectedWire)
    }

    /// Context values decoded from a record (where the decoder marks the ones it found without a
    /// special byte, and `workOutContext` then skips its own scan): every field written with
    /// escapes that resolve to a quote, backslash or control character comes out escaped, and
    /// every other spelling as sent.
    @Test func decodedContextValuesAreEscapedWhereTheyNeedIt() throws {
        // JSON spellings, each with the text it stands for.
        let spellings: [(json: String, text: String)] = [
            ("IwAR2xYz.1", "IwAR2xYz.1"), (String(repeating: "u", count: 40), String(repeating: "u", count: 40)),
            (#"a\"b"#, "a\"b"), (#"\\"#, "\\"), (#"line\nbreak"#, "line\nbreak"), (#"tab\t"#, "tab\t"),
            (#"\u0001x"#, "\u{01}x"), (#"\u001f"#, "\u{1F}"), (#"\u0041BC"#, "ABC"), (#"\/path"#, "/path"),
            ("é-ü", "é-ü"), (#"é\"ü"#, "é\"ü"), (#"Mozilla/5.0 (X11) \"quoted\" "# + String(repeating: "w", count: 30),
            "Mozilla/5.0 (X11) \"quoted\" " + String(repeating: "w", count: 30)),
            (String(repeating: "v", count: 14) + #"\""#, String(repeating: "v", count: 14) + "\""),
            (String(repeating: "v", count: 15) + #"\\"#, String(repeating: "v", count: 15) + "\\"),
            ("  padded ", "  padded "), (#" \"both\" "#, " \"both\" "), ("   ", "   "), ("", ""),
        ]
        let names = ["ip", "user_agent", "page_url", "fbp", "fbc", "ttclid", "ttp", "gclid", "gbraid", "wbraid", "epik",
            "sc_click_id", "sc_cookie1"]
        let fields = PreparedEventWritingTests.contextFields.map(\.0)
        #expect(fields.count == names.count)
        for rotation in 0..<spellings.count {
            let chosen = names.indices.map { spellings[($0 + rotation) % spellings.count] }
            let members = zip(names, chosen).map { #""\#($0)":"\#($1.json)""# }.joined(separator: ",")
            let record = #"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"context":{\#(members)}}"#
            let event = try OrderEventDecoder().decode(Array(record.utf8))
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
            for (field, spelling) in zip(fields, chosen) {
                let sent = prepared.raw(RawPII(spelling.text))?.unredactedValue
                var writer = JSONWriter(reservingCapacity: 8)
                let wrote = prepared.writeContext(field, member: "<", closing: ">", into: &writer)
                #expect(wrote == (sent != nil), "\(field) of \(spelling.json)")
                let expected = sent.map { "<" + PreparedEventWritingTests.contents($0) + ">" } ?? ""
                #expect(String(decoding: writer.bytes, as: UTF8.self) == expected, "\(field) of \(spelling.json)")
            }
        }
    }
}
