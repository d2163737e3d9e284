@testable import RelayCore
import Testing

/// A decoded time whose text is already ``RFC3339/format(epochSeconds:)``'s (upper-case `T` and
/// `Z`, no fraction or offset) is written by copying that text; any other is formatted from its
/// seconds. Either way the writer gives the formatted text of the seconds, also after either part
/// of the time is changed in code.
@Suite struct TimestampTextTests {
    static func event(time: String, compact: Bool) throws -> OrderEvent {
        let json =
            compact
            ? #"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at":"\#(time)","currency":"EUR","value":1}"#
            : #"{ "schema_version": 1, "occurred_at": "\#(time)", "event_type": "order.completed", "order_id": "A-1", "currency": "EUR", "value": 1 }"#
        return try OrderEventDecoder().decode(Array(json.utf8))
    }

    static func written(_ time: Timestamp) -> String {
        var writer = JSONWriter(reservingCapacity: 4)
        writer.fragment("<")
        writer.timestampContents(time)
        writer.fragment(">")
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func decodedTimesAreWrittenAsTheirSecondsFormatted() throws {
        var times = [
            "2026-11-26T10:15:30Z", "2026-11-26t10:15:30Z", "2026-11-26T10:15:30z", "2026-11-26t10:15:30z",
            "2026-11-26T10:15:30.5Z", "2026-11-26T10:15:30+01:00", "2026-11-26T10:15:30-00:00", "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "1970-01-01T00:00:00Z", #"2026-11-26\u005410:15:30Z"#,
        ]
        for seconds in stride(from: Int64(-86_400 * 400), through: 86_400 * 40_000, by: 86_400 * 97 + 3_671) {
            times.append(RFC3339.format(epochSeconds: seconds))
        }
        var copied = 0
        for time in times {
            for compact in [true, false] {
                let occurred = try Self.event(time: time, compact: compact).occurredAt
                let formatted = RFC3339.format(epochSeconds: occurred.epochSeconds)
                #expect(Self.written(occurred) == "<\(formatted)>", "\(time)")
                // Known where the decoder read the text in place (not spelled with an escape).
                #expect(occurred.isFormatted == (occurred.rfc3339 == formatted && !time.contains("\\")), "\(time)")
                if occurred.isFormatted { copied += 1 }
                var later = occurred
                later.epochSeconds += 61
                #expect(!later.isFormatted && Self.written(later) == "<\(RFC3339.format(epochSeconds: occurred.epochSeconds + 61))>")
                var respelled = occurred
                respelled.rfc3339 = time
                #expect(!respelled.isFormatted && Self.written(respelled) == "<\(formatted)>")
            }
        }
        #expect(copied >= 2 * (times.count - 11))
        #expect(!Timestamp(epochSeconds: 0, rfc3339: "1970-01-01T00:00:00Z").isFormatted)
    }
}
