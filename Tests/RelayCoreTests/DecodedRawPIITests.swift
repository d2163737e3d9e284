import Foundation
@testable import RelayCore
import Testing

/// A decoded event's personal values are ranges of its record (`StoredText`): they must read,
/// compare and hash as the same values built from strings, and never print.
@Suite struct DecodedRawPIITests {
    static let document = #"{"schema_version":1,"event_type":"order.co\u006dpleted","order_id":"A-1","#
        + #""occurred_at":"2026-11-26T10:15:30\u005a","currency":"\u0045UR","value":1,"#
        + #""customer":{"email":"  Zo\u00eb@Example.com ","first_name":"Zoë","last_name":"O\"Brien","city":"K\u00f6ln","country":"DE"},"#
        + #""context":{"user_agent":"Mozilla\/5.0 \ud83d\ude00","ip":"203.0.113.9"}}"#

    static func decoded() throws -> OrderEvent {
        try #require(Array(document.utf8).withUnsafeBufferPointer { DirectEventReader.read($0, parser: JSONParser()) })
    }

    @Test func escapedAndPlainValuesReadAsTheirText() throws {
        let event = try Self.decoded()
        #expect(event == (try OrderEventDecoder().decodeThroughTree(Array(Self.document.utf8))))
        #expect(event.currency == "EUR")
        #expect(event.occurredAt.rfc3339 == "2026-11-26T10:15:30Z")
        #expect(event.occurredAt.epochSeconds == 1_795_688_130)
        #expect(event.customer.email?.unredactedValue == "  Zoë@Example.com ")
        #expect(event.customer.firstName?.unredactedValue == "Zoë")
        #expect(event.customer.lastName?.unredactedValue == "O\"Brien")
        #expect(event.customer.city?.unredactedValue == "Köln")
        #expect(event.customer.country?.unredactedValue == "DE")
        #expect(event.context.userAgent?.unredactedValue == "Mozilla/5.0 😀")
        #expect(event.context.ip?.unredactedValue == "203.0.113.9")
        let bytes = event.customer.lastName?.withUTF8 { Array($0) }
        #expect(bytes == Array("O\"Brien".utf8))
    }

    @Test func decodedValuesEqualAndHashAsStringBuiltOnes() throws {
        let event = try Self.decoded()
        let pairs: [(RawPII?, String)] = [
            (event.customer.email, "  Zoë@Example.com "), (event.customer.city, "Köln"), (event.context.ip, "203.0.113.9"),
        ]
        for (decoded, text) in pairs {
            let decoded = try #require(decoded)
            #expect(decoded == RawPII(text))
            #expect(decoded.hashValue == RawPII(text).hashValue)
            #expect(decoded != RawPII(text + " "))
            #expect(decoded != RawPII(String(text.dropLast()) + "x"))  // as many bytes, one differs
        }
        // Bytes, not canonical equivalence: `ö` precomposed and `o` with a combining diaeresis differ.
        #expect(event.customer.city != RawPII("Ko\u{308}ln"))
        #expect(Set([event.customer.city, RawPII("Köln")]).count == 1)
    }

    /// Up to 15 bytes are held inline (read from the record as two masked words when 16 bytes
    /// can be read there, copied otherwise: the context's `ip` ends the record), longer values as
    /// a range of the record: every length on both sides of each boundary, decoded and built from
    /// a string, reads back the same bytes and compares and hashes equal.
    @Test(arguments: Array(0...17) + [40])
    func valuesOfEveryLengthReadBackTheirBytes(length: Int) throws {
        let text = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x61 + $0 % 26))) })
        let document = #"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
            + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"customer":{"city":"\#(text)","state":"é\#(text)"},"#
            + #""context":{"ip":"\#(text)"}}"#
        let event = try #require(Array(document.utf8).withUnsafeBufferPointer { DirectEventReader.read($0, parser: JSONParser()) })
        let built = RawPII(text)
        #expect(built.withUTF8 { Array($0) } == Array(text.utf8))
        for decoded in [try #require(event.customer.city), try #require(event.context.ip)] {
            #expect(decoded.withUTF8 { Array($0) } == Array(text.utf8))
            #expect(decoded.unredactedValue == text)
            #expect(decoded == built)
            #expect(decoded.hashValue == built.hashValue)
            #expect(decoded.isBlank == (length == 0))
        }
        #expect(event.customer.state?.unredactedValue == "é" + text)
        #expect(RawPII("").withUTF8 { $0.count } == 0)
    }

    /// The record is read in place: the event keeps it alive, and a later change to the caller's
    /// array (a copy on write, since the event shares it) does not reach the event's values.
    @Test func theEventKeepsItsRecordAndNeverSeesItChange() throws {
        let longValue = String(repeating: "Mozilla/5.0 ", count: 4)
        var record = Array((#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
            + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"context":{"user_agent":"\#(longValue)"}}"#).utf8)
        let event = try OrderEventDecoder().decode(record)
        let start = try #require(record.firstRange(of: Array(longValue.utf8))).lowerBound
        for index in record.indices { record[index] = UInt8(ascii: "x") }
        record = []
        #expect(event.context.userAgent?.unredactedValue == longValue)
        #expect(event.occurredAt.rfc3339 == "2026-11-26T10:15:30Z")
        #expect(start > 0)
    }

    /// Values with escapes are resolved one at a time into one scratch area: each keeps its own
    /// bytes (short ones inline, longer ones copied out), whatever is resolved after it.
    @Test func escapedValuesKeepTheirBytesWhenMoreAreResolved() throws {
        let long = #"https:\/\/shop.example\/checkout\/thank-you"#
        let document = #"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
            + #""occurred_at":"2026-11-26T10:15:30\u005a","currency":"\u0045UR","value":1,"#
            + #""customer":{"first_name":"Zo\u00eb","last_name":"O\"Brien-\u00c5ngstr\u00f6m-Smith"},"#
            + #""context":{"page_url":"\#(long)","user_agent":"A\/B","ip":"\u0032\u0030\u0033.0.113.9"}}"#
        let bytes = Array(document.utf8)
        let event = try #require(DirectEventReaderTests.direct(bytes))
        #expect(event == (try OrderEventDecoder().decodeThroughTree(bytes)))
        #expect(event.occurredAt.rfc3339 == "2026-11-26T10:15:30Z")
        #expect(event.customer.firstName?.unredactedValue == "Zoë")
        #expect(event.customer.lastName?.unredactedValue == "O\"Brien-Ångström-Smith")
        #expect(event.context.pageURL?.unredactedValue == "https://shop.example/checkout/thank-you")
        #expect(event.context.userAgent?.unredactedValue == "A/B")
        #expect(event.context.ip?.unredactedValue == "203.0.113.9")
    }

    @Test func decodedValuesNeverPrint() throws {
        let event = try Self.decoded()
        let email = try #require(event.customer.email)
        #expect("\(email)" == "<redacted>")
        #expect(String(reflecting: email) == "<redacted>")
        var dumped = ""
        dump(event, to: &dumped)
        for secret in ["Zoë", "Example.com", "Köln", "Brien", "203.0.113.9", "Mozilla"] {
            #expect(!dumped.contains(secret), "\(secret)")
            #expect(!"\(event)".contains(secret), "\(secret)")
            // Nor as the record's bytes, which long values keep alive (printed as numbers).
            let asNumbers = Array(secret.utf8).map(String.init).joined(separator: ", ")
            #expect(!dumped.contains(asNumbers), "\(secret) as bytes")
            #expect(!"\(event)".contains(asNumbers), "\(secret) as bytes")
            #expect(!String(reflecting: event).contains(asNumbers), "\(secret) as bytes")
        }
        // A timestamp written without escapes is a range of the record, which holds every value.
        let plain = try #require(DirectEventReaderTests.direct(Array((#"{"schema_version":1,"event_type":"order.completed","#
            + #""order_id":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"#
            + #""customer":{"email":"zoe.private@example.com"}}"#).utf8)))
        var plainDump = ""
        dump(plain, to: &plainDump)
        let emailBytes = Array("zoe.private".utf8).map(String.init).joined(separator: ", ")
        for printed in ["\(plain)", String(reflecting: plain), plainDump, "\(plain.occurredAt)"] {
            #expect(!printed.contains(emailBytes) && !printed.contains("zoe.private"), "\(printed)")
        }
    }

    /// A value whose bytes are not UTF-8 is left to the tree, which names the error.
    @Test func invalidUTF8InAValueIsLeftToTheTree() {
        let prefix = Array(#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"customer":{"city":""#.utf8)
        let bytes = prefix + [UInt8(ascii: "K"), 0xC3, 0x28] + Array(#""}}"#.utf8)
        #expect(bytes.withUnsafeBufferPointer { DirectEventReader.read($0, parser: JSONParser()) } == nil)
        // The tree names the string, by the offset where its content starts.
        #expect(throws: OrderEventDecodingError(kind: .malformedJSON, path: "", reason: "invalid UTF-8 at byte \(prefix.count)")) {
            try OrderEventDecoder().decode(bytes)
        }
    }

    /// A decoded value is marked as needing no escaping (`StoredText.isKnownPlain`) only when it
    /// holds no `"`, `\` or control character, and is marked whenever the record spells it
    /// without escapes: every length around the inline boundary, ASCII and not, in the customer
    /// and the context, with and without escapes.
    @Test func valuesAreMarkedPlainOnlyWithoutSpecialBytes() throws {
        let escapes = [#"\""#, #"\\"#, #"\n"#, #"\u0001"#, #"\u001f"#, #"\/"#, #"\u0041"#, #"\u00e9"#]
        var spellings: [(json: String, written: Bool)] = []
        for length in [0, 1, 7, 8, 13, 14, 15, 16, 17, 40] {
            let plain = String(repeating: "a", count: length)
            spellings.append((plain, true))
            spellings.append(("é" + plain, true))
            for escape in escapes {
                spellings.append((plain + escape, false))
                spellings.append((escape + plain, false))
            }
        }
        var marked = 0
        for spelling in spellings {
            let document = #"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"#
                + #""customer":{"city":"\#(spelling.json)"},"context":{"user_agent":"\#(spelling.json)","ip":"\#(spelling.json)"}}"#
            let event = try OrderEventDecoder().decode(Array(document.utf8))
            for value in [event.customer.city, event.context.userAgent, event.context.ip] {
                let value = try #require(value)
                value.withUTF8AndPlainness { bytes, plain in
                    let special = bytes.contains { JSONStringBytes.isSpecial($0) }
                    #expect(!(plain && special), "\(spelling.json)")
                    if spelling.written { #expect(plain, "\(spelling.json)") }
                    if plain { marked += 1 }
                }
                #expect(value.text.isKnownPlain == value.withUTF8AndPlainness { $1 })
            }
        }
        #expect(marked >= 60)
        #expect(!RawPII("built in code").withUTF8AndPlainness { $1 })
    }
    /// A string's first sixteen bytes are read as one vector (`StringHead`), where a short value's
    /// closing quote is found and its bytes taken as they were read: an escape, a raw control
    /// character, `DEL` or a non-ASCII letter at every position of values of every length
    /// around that boundary, in the customer, the context and an item, decoded as the tree
    /// decodes them, reading back their bytes, and marked plain exactly when written without escapes.
    @Test(arguments: [#"\""#, #"\\"#, #"\n"#, #"\u0001"#, #"\/"#, "\u{01}", "\u{1F}", "\u{7F}", "é", "€", " "])
    func aSpecialOrNonASCIIByteAtEveryPositionIsReadAsTheTreeReadsIt(inserted: String) throws {
        let escaped = inserted.hasPrefix("\\")
        // A raw control character is not JSON: both paths refuse the record.
        let resolved = (try? JSONDecoder().decode(String.self, from: Data(("\"" + inserted + "\"").utf8))) ?? inserted
        for length in 0...34 {
            for position in 0...length {
                let letters = (0..<length).map { Character(Unicode.Scalar(UInt8(0x61 + $0 % 26))) }
                let json = String(letters[..<position]) + inserted + String(letters[position...])
                let text = String(letters[..<position]) + resolved + String(letters[position...])
                let document = #"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                    + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"#
                    + #""items":[{"sku":"S","name":"\#(json)","quantity":1,"price":1}],"#
                    + #""customer":{"city":"\#(json)","state":"\#(json)"},"context":{"user_agent":"\#(json)","ip":"\#(json)"}}"#
                let bytes = Array(document.utf8)
                let outcomes = DirectEventReaderTests.bothPaths(bytes)
                #expect(outcomes.decoded == outcomes.tree, "\(json)")
                guard case .success = outcomes.tree else {
                    #expect(DirectEventReaderTests.direct(bytes) == nil, "\(json)")
                    continue
                }
                let event = try #require(DirectEventReaderTests.direct(bytes))
                let values = [event.customer.city, event.customer.state, event.context.userAgent, event.context.ip]
                for value in values {
                    let value = try #require(value)
                    #expect(value.unredactedValue == text, "\(json)")
                    #expect(value == RawPII(text), "\(json)")
                    #expect(value.text.isKnownPlain == !escaped, "\(json)")
                }
                #expect(event.items.first?.name == text, "\(json)")
            }
        }
    }
}
