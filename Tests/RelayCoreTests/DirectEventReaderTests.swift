import Foundation
import Testing

@testable import RelayCore

/// The decoder reads valid events straight from their bytes (`DirectEventReader`) and everything
/// else through the JSON tree. Both must give the same event or the same error for every input,
/// and the direct path must answer for valid events (or it is not a fast path at all).
@Suite struct DirectEventReaderTests {
    typealias Outcome = Result<OrderEvent, OrderEventDecodingError>

    static func bothPaths(_ bytes: [UInt8]) -> (decoded: Outcome, tree: Outcome) {
        let decoder = OrderEventDecoder()
        return (
            Result { () throws(OrderEventDecodingError) in try decoder.decode(bytes) },
            Result { () throws(OrderEventDecodingError) in try decoder.decodeThroughTree(bytes) }
        )
    }

    static func direct(_ bytes: [UInt8]) -> OrderEvent? {
        bytes.withUnsafeBufferPointer { DirectEventReader.read($0, parser: JSONParser()) }
    }

    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        let folders = [
            SchemaAgreementTests.examples.appendingPathComponent("valid"),
            SchemaAgreementTests.examples.appendingPathComponent("invalid"),
            BadInputCorpusTests.fixtures.appendingPathComponent("bad-inputs"),
            BadInputCorpusTests.fixtures.appendingPathComponent("hostile-identifiers"),
        ]
        return try folders.flatMap { folder in
            try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
                .map { ($0.lastPathComponent, try [UInt8](Data(contentsOf: $0))) }
        }
    }

    @Test func everyValidExampleIsReadDirectlyAsTheTreeReadsIt() throws {
        let valid = try Self.corpus().filter { (try? OrderEventDecoder().decodeThroughTree($0.bytes)) != nil }
        #expect(valid.count >= 15)  // the schema's valid examples and the hostile identifiers
        for example in valid {
            let direct = Self.direct(example.bytes)
            #expect(direct != nil, "\(example.name) was left to the tree")
            #expect(direct == (try? OrderEventDecoder().decodeThroughTree(example.bytes)), "\(example.name)")
        }
    }

    @Test func everyCorpusFileGetsTheSameOutcomeFromBothPaths() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 100)
        for file in corpus {
            let outcomes = Self.bothPaths(file.bytes)
            #expect(outcomes.decoded == outcomes.tree, "\(file.name)")
        }
    }

    /// One to three random edits of `bytes`: a byte deleted, inserted or replaced (from JSON's
    /// structural characters, digits, letters of literals, control and invalid UTF-8 bytes), or a
    /// piece of the document copied elsewhere (which repeats members and nests values).
    static func mutated(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        let alphabet = Array(#"{}[]":,\ n0123456789.-eEtrufalsx_é"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xFF]
        var bytes = bytes
        for _ in 0...random.next(below: 2) {
            let position = random.next(below: bytes.count + 1)
            switch random.next(below: 4) {
            case 0 where position < bytes.count: bytes.remove(at: position)
            case 1: bytes.insert(alphabet[random.next(below: alphabet.count)], at: position)
            case 2 where position < bytes.count: bytes[position] = alphabet[random.next(below: alphabet.count)]
            default:
                let start = random.next(below: max(bytes.count, 1))
                let end = min(bytes.count, start + 1 + random.next(below: 80))
                if start < end { bytes.insert(contentsOf: bytes[start..<end], at: position) }
            }
        }
        return bytes
    }

    /// Random edits of valid events (a byte deleted, inserted or replaced, a piece of the document
    /// copied elsewhere, which repeats members and nests values) must never make the paths disagree.
    @Test func mutatedEventsGetTheSameOutcomeFromBothPaths() throws {
        let valid = try Self.corpus().filter { (try? OrderEventDecoder().decodeThroughTree($0.bytes)) != nil }
        var random = SplitMix64(seed: 20_261_127)
        var accepted = 0
        var refused = 0
        for example in valid {
            for _ in 0..<1_500 {
                let bytes = Self.mutated(example.bytes, using: &random)
                let outcomes = Self.bothPaths(bytes)
                #expect(outcomes.decoded == outcomes.tree, "\(example.name): \(String(decoding: bytes, as: UTF8.self))")
                if case .success = outcomes.tree { accepted += 1 } else { refused += 1 }
            }
        }
        // Both kinds of outcome were exercised (a mutation that breaks nothing still compares events).
        #expect(accepted > 100)
        #expect(refused > 1_000)
    }

    /// What the direct reader leaves to the tree, each with the tree's verdict.
    @Test(arguments: [
        // A member name with an escape, and one with a non-ASCII letter: the tree compares names
        // with `String` equality (Unicode canonical equivalence), so it decides.
        (#"{"order\u005fid":"A-1","#, true),
        (#"{"ordér_id":"A-1","order_id":"A-1","#, true),
        // Duplicate members, known and unknown.
        (#"{"order_id":"A-1","order_id":"A-1","#, false),
        (#"{"note":1,"note":2,"order_id":"A-1","#, false),
        (#"{"note":{"a":1,"a":2},"order_id":"A-1","#, false),
    ])
    func namesTheDirectReaderLeavesToTheTree(prefix: String, valid: Bool) {
        let document = prefix
            + #""schema_version":1,"event_type":"order.completed","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1}"#
        let bytes = Array(document.utf8)
        #expect(Self.direct(bytes) == nil)
        let outcomes = Self.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree)
        if case .success = outcomes.decoded { #expect(valid) } else { #expect(!valid) }
    }

    /// Names are matched a word at a time, the one after the last read first: members in another
    /// order, unknown names that start with a known one, and known ones that start an unknown one.
    @Test func membersInAnyOrderAndNamesThatShareAPrefix() throws {
        let document = #"{"value_cents":1,"value":12.5,"context":{"ttpx":"b","ttp":"a","ip":"203.0.113.9","i":1},"#
            + #""currency":"EUR","occurred_at":"2026-11-26T10:15:30Z","order_id_2":"B-2","order_id":"A-1","#
            + #""event_type":"order.completed","customer":{"phone":"+4930123456","email":"a@b.c"},"schema_version":1}"#
        let bytes = Array(document.utf8)
        let direct = try #require(Self.direct(bytes))
        #expect(direct == (try OrderEventDecoder().decodeThroughTree(bytes)))
        #expect(direct.orderID == "A-1")
        #expect(direct.value.literal == "12.5")
        #expect(direct.context.ttp?.unredactedValue == "a")
        #expect(direct.context.ip?.unredactedValue == "203.0.113.9")
        #expect(direct.customer.email?.unredactedValue == "a@b.c")
    }

    @Test func itemsAreCountedToTheLimit() {
        func order(items: Int) -> [UInt8] {
            let item = #"{"sku":"S","quantity":1,"price":1}"#
            let list = Array(repeating: item, count: items).joined(separator: ",")
            return Array(
                (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                    + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"items":[\#(list)]}"#).utf8)
        }
        let atLimit = order(items: OrderEventDecoder.maximumItems)
        #expect(Self.direct(atLimit)?.items.count == OrderEventDecoder.maximumItems)
        let overLimit = order(items: OrderEventDecoder.maximumItems + 1)
        #expect(Self.direct(overLimit)?.items.count == nil)
        #expect(throws: OrderEventDecodingError.self) { try OrderEventDecoder().decode(overLimit) }
    }

    /// A SKU holds 1 to 256 characters (Unicode scalars, not bytes), on both paths: 256 two-byte
    /// letters are 512 bytes and valid.
    @Test(arguments: [("S", 256, true), ("S", 257, false), ("é", 256, true), ("é", 257, false), ("😀", 256, true), ("😀", 257, false)])
    func skusAreCountedInCharactersToTheLimit(letter: String, count: Int, valid: Bool) {
        let sku = String(repeating: letter, count: count)
        let bytes = Array(
            (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"items":[{"sku":"\#(sku)","quantity":1,"price":1}]}"#).utf8)
        #expect((Self.direct(bytes)?.items.first?.sku == sku) == valid)
        let outcomes = Self.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree)
        if case .success = outcomes.decoded { #expect(valid) } else { #expect(!valid) }
    }

    /// Consent values are compared as words: each literal, in every member, read as the tree
    /// reads it, and a literal misspelt or cut short refused as the tree refuses it.
    @Test(arguments: ["true", "false", "null", "tru", "nul", "fals", "falsy", "trux", "nulL", "False", "1"])
    func consentLiteralsAreReadAsTheTreeReadsThem(literal: String) throws {
        for member in ["marketing", "ad_user_data", "ad_personalization", "limited_data_use"] {
            for after in ["}}", " }}"] {
                let bytes = Array((#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                    + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"consent":{"\#(member)":\#(literal)\#(after)"#).utf8)
                let outcomes = Self.bothPaths(bytes)
                #expect(outcomes.decoded == outcomes.tree, "\(member): \(literal)")
                if case .success = outcomes.tree {
                    #expect(Self.direct(bytes) != nil, "\(member): \(literal)")
                }
            }
        }
        let values: [String: Bool?] = ["true": true, "false": false, "null": nil]
        if let expected = values[literal] {
            let bytes = Array((#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"consent":{"ad_user_data":\#(literal)}}"#).utf8)
            #expect(try #require(Self.direct(bytes)).consent.adUserData == expected)
        }
    }
}
