import Foundation
import Testing

@testable import RelayCore

/// A decoded item's strings and price are byte ranges of the record, each marked plain (copied
/// as it is) or not (escaped) when it is read: the bytes the encoders write for them are pinned
/// here, for strings written with and without escapes in the record, and they are what the
/// writer's own escaping gives for an item built from `String`s.
@Suite struct ItemBytesTests {
    /// One order whose only item has these members, as written in the record (JSON source).
    static func record(sku: String, name: String = "null", category: String = "null", brand: String = "null", price: String = "1")
        -> [UInt8]
    {
        Array(
            (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"items":[{"sku":\#(sku),"name":\#(name),"#
                + #""category":\#(category),"brand":\#(brand),"quantity":2,"price":\#(price)}],"#
                + #""customer":{"email":"private.person@example.com"}}"#).utf8)
    }

    static func decodedItem(_ bytes: [UInt8]) throws -> OrderEvent.Item {
        let direct = try #require(bytes.withUnsafeBufferPointer { DirectEventReader.read($0, parser: JSONParser()) })
        return try #require(direct.items.first)
    }

    /// What the item writers give for `item`: SKU, name, category, brand (each member only when
    /// present) and price.
    static func written(_ item: OrderEvent.Item) -> String {
        var writer = JSONWriter()
        writer.itemSKUContents(item)
        writer.optionalItemStringMember(#"|n:"#, item, .name)
        writer.optionalItemStringMember(#"|c:"#, item, .category)
        writer.optionalItemStringMember(#"|b:"#, item, .brand)
        writer.fragment("|p:")
        writer.itemPriceLiteral(item)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// (as written in the record, the decoded value, as an encoder writes it)
    static let strings: [(json: String, value: String, written: String)] = [
        (#""Plain SKU-1""#, "Plain SKU-1", #"Plain SKU-1"#),
        (#""café ☕""#, "café ☕", #"café ☕"#),
        (#""a\"b""#, "a\"b", #"a\"b"#),
        (#""c\\d""#, "c\\d", #"c\\d"#),
        (#""x\ny\tz""#, "x\ny\tz", #"x\ny\tz"#),
        (#""\u0001ctl""#, "\u{1}ctl", #"\u0001ctl"#),
        // Escapes that resolve to text with nothing to escape: written plain.
        (#""\u00e9t\u00e9""#, "été", #"été"#),
        (#""\/slash""#, "/slash", #"/slash"#),
    ]

    @Test(arguments: strings)
    func itemStringsAreWrittenEscapedExactlyWhereTheyNeedIt(string: (json: String, value: String, written: String)) throws {
        // The string in each position, the others plain or absent.
        let cases: [(bytes: [UInt8], expected: String, built: OrderEvent.Item)] = [
            (
                Self.record(sku: string.json, price: "12.50"), "\(string.written)|p:12.50",
                OrderEvent.Item(sku: string.value, quantity: 2, price: JSONNumber(literal: "12.50", double: 12.5))
            ),
            (
                Self.record(sku: #""S""#, name: string.json, category: #""Shoes""#, price: "1e2"),
                "S|n:\(string.written)\"|c:Shoes\"|p:1e2",
                OrderEvent.Item(sku: "S", name: string.value, category: "Shoes", quantity: 2, price: JSONNumber(literal: "1e2", double: 100))
            ),
            (
                Self.record(sku: #""S\"2""#, category: string.json, brand: string.json, price: "0"),
                "S\\\"2|c:\(string.written)\"|b:\(string.written)\"|p:0",
                OrderEvent.Item(
                    sku: "S\"2", category: string.value, brand: string.value, quantity: 2, price: JSONNumber(literal: "0", double: 0))
            ),
            (
                Self.record(sku: string.json, name: #""N""#, category: #""\u0043at""#, brand: string.json, price: "3.25"),
                "\(string.written)|n:N\"|c:Cat\"|b:\(string.written)\"|p:3.25",
                OrderEvent.Item(
                    sku: string.value, name: "N", category: "Cat", brand: string.value, quantity: 2,
                    price: JSONNumber(literal: "3.25", double: 3.25))
            ),
        ]
        for (bytes, expected, built) in cases {
            let item = try Self.decodedItem(bytes)
            #expect(Self.written(item) == expected)
            #expect(Self.written(built) == expected)
            #expect(item == built)
            #expect(item.sku == built.sku && item.name == built.name && item.category == built.category && item.brand == built.brand)
            #expect(item.price == built.price && item.quantity == 2)
            // The tree path decodes the same item.
            #expect(try OrderEventDecoder().decodeThroughTree(bytes).items == [built])
        }
    }

    /// Items as producers write them (compact, the contract's order: read by word compares) and
    /// every other spelling (read member by member) decode alike, and as the tree decodes them,
    /// including spellings that leave the compact reading part way and ones the direct reader
    /// gives up on.
    @Test(arguments: [
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":null,"category":"C","brand":null,"quantity":2,"price":1.5}"#,
        #"{"sku":"S\"1","name":"N\u00e9","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5 }"#,
        #"{ "sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku": "S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":"N","brand":"B","category":"C","quantity":2,"price":1.5}"#,
        #"{"sku":"S","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5,"note":[1]}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5,"price":2}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":0,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":01,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2.0,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2e0,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":1000000,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":10000000,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":-2,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":"2","price":1.5}"#,
        #"{"sku":"S\u0001","name":"N\t","category":"Ca\/t","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":"Né","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":0}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":0.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":0.05}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":10.25}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.234}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":01.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1e2}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5e0}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":-0}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":9999999999999.99}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":99999999999999.99}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":12345678901234567890}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":0.10}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":-1}"#,
        #"{"sku":"","name":"N","category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":7,"category":"C","brand":"B","quantity":2,"price":1.5}"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"price":1.5"#,
        #"{"sku":"S","name":"N","category":"C","brand":"B","quantity":2,"pric"#,
    ])
    func compactAndOtherSpellingsAreReadAlike(item: String) throws {
        let bytes = Array(
            (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","#
                + #""occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"items":[\#(item),\#(item)]}"#).utf8)
        let decoder = OrderEventDecoder()
        let decoded = Result { () throws(OrderEventDecodingError) in try decoder.decode(bytes) }
        let tree = Result { () throws(OrderEventDecodingError) in try decoder.decodeThroughTree(bytes) }
        #expect(decoded == tree)
        if case .success(let event) = decoded, case .success(let treeEvent) = tree {
            #expect(event.items.map(\.price.double.bitPattern) == treeEvent.items.map(\.price.double.bitPattern))
        }
        let spaced = item.replacingOccurrences(of: ":", with: ": ")
        let spacedBytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: item, with: spaced).utf8)
        let spacedDecoded = Result { () throws(OrderEventDecodingError) in try decoder.decode(spacedBytes) }
        #expect((try? decoded.get().items) == (try? spacedDecoded.get().items))
        if case .success(let event) = decoded {
            #expect(event.items.count == 2 && event.items[0] == event.items[1])
            #expect(event.items[0].sku.hasPrefix("S") && [2, 1_000_000].contains(event.items[0].quantity))
            #expect(event.items[0].category?.hasPrefix("C") == true || !item.contains(#""category""#))
        }
    }

    /// Quantities are written as `integerLiteral` writes them (one digit in line, others by it).
    @Test func quantitiesAreWrittenAsIntegers() {
        for quantity: Int64 in [0, 1, 2, 5, 9, 10, 11, 99, 100, 1_000_000, 1_000_001, Int64.max] {
            var quick = JSONWriter(reservingCapacity: 1)
            quick.fragment("q")
            quick.quantityLiteral(quantity)
            var integer = JSONWriter(reservingCapacity: 1)
            integer.fragment("q")
            integer.integerLiteral(quantity)
            #expect(quick.bytes == integer.bytes && quick.bytes == Array("q\(quantity)".utf8))
        }
    }

    /// The public setters rebuild the item; its other members keep their values.
    @Test func settersChangeOneMember() throws {
        var item = try Self.decodedItem(Self.record(sku: #""S""#, name: #""a\"b""#, brand: #""B""#, price: "2.0"))
        item.category = "c\\d"
        item.name = nil
        item.sku = "T"
        #expect(Self.written(item) == #"T|c:c\\d"|b:B"|p:2.0"#)
        item.price = JSONNumber(literal: "7", double: 7)
        #expect(item == OrderEvent.Item(sku: "T", category: "c\\d", brand: "B", quantity: 2, price: JSONNumber(literal: "7", double: 7)))
    }

    /// An item built with nothing in its texts writes nothing for them.
    @Test func emptyTextsWriteNothing() {
        let item = OrderEvent.Item(sku: "", name: "", quantity: 1, price: JSONNumber(literal: "", double: 0))
        #expect(Self.written(item) == "|n:\"|p:")
        #expect(item.sku == "" && item.name == "" && item.brand == nil)
    }

    /// A decoded item's bytes are the whole record: printing or dumping it shows its members only.
    @Test func anItemNeverPrintsTheRecord() throws {
        let item = try Self.decodedItem(Self.record(sku: #""SKU-9""#, name: #""Long product name, longer than fifteen""#))
        var dumped = ""
        dump(item, to: &dumped)
        for text in [String(describing: item), String(reflecting: item), dumped] {
            #expect(text.contains("SKU-9"))
            #expect(!text.contains("private.person"))
            #expect(!text.contains("112, 114, 105"))  // "pri" as the array's numbers
        }
    }
}
