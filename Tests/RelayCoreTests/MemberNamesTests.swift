@testable import RelayCore
import Testing

/// The direct reader finds a member's name by trying the expected one in line, then by a slot
/// picked from the name's length and first eight bytes: every contract name must be found from
/// its slot, and no other name (a prefix, an extension, one byte changed anywhere) may be.
@Suite struct MemberNamesTests {
    static let tables: [[StaticString]] = [
        [
            "schema_version", "event_type", "order_id", "occurred_at", "currency", "value", "store_id", "items",
            "customer", "context", "consent",
        ],
        ["sku", "name", "category", "brand", "quantity", "price"],
        OrderEvent.Customer.memberNames, OrderEvent.Context.memberNames, OrderEvent.Consent.memberNames,
    ]

    /// `name` as a document's member would hold it: the name, its closing quote and a value.
    static func member(_ name: String) -> [UInt8] { Array("\(name)\":1,\"x\":2}".utf8) }

    static func text(_ name: StaticString) -> String {
        String(decoding: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), as: UTF8.self)
    }

    /// Every name is found whichever name was expected (so by its slot, not only in line), also
    /// at the very end of the bytes, where a word would read past them.
    @Test func everyNameIsFoundFromItsSlot() {
        for spelled in Self.tables {
            let names = MemberNames(spelled)
            for (index, name) in spelled.enumerated() {
                for expected in 0...spelled.count {
                    let bytes = Self.member(Self.text(name))
                    let found = bytes.withUnsafeBufferPointer { names.member(startingAt: 0, in: $0, tryingFirst: expected) }
                    #expect(found == index, "\(Self.text(name)) expecting \(expected)")
                }
                let atEnd = Array((Self.text(name) + "\"").utf8)
                let found = atEnd.withUnsafeBufferPointer { names.lookUp(startingAt: 0, in: $0) }
                #expect(found == index, "\(Self.text(name)) at the end")
            }
        }
    }

    /// Names that are not the contract's: each name cut short, extended, and with each of its
    /// bytes changed in turn (so the head word, the middle bytes of names over sixteen bytes and
    /// the tail word are all compared).
    @Test func noOtherNameIsFound() {
        for spelled in Self.tables {
            let names = MemberNames(spelled)
            let known = Set(spelled.map(Self.text))
            var others = ["", "\u{7F}"]
            for name in known {
                others.append(String(name.dropLast()))
                others.append(name + "s")
                others.append("_" + name)
                let bytes = Array(name.utf8)
                for position in bytes.indices {
                    var changed = bytes
                    changed[position] = changed[position] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
                    others.append(String(decoding: changed, as: UTF8.self))
                }
            }
            for other in others where !known.contains(other) {
                let bytes = Self.member(other)
                for expected in 0...spelled.count {
                    let found = bytes.withUnsafeBufferPointer { names.member(startingAt: 0, in: $0, tryingFirst: expected) }
                    #expect(found == nil, "\(other) expecting \(expected)")
                }
            }
        }
    }

    /// Every object's members in reverse order (none where the reader expects it) are read
    /// directly, as the tree reads them.
    @Test func membersInReverseOrderAreReadDirectly() throws {
        let document = #"{"consent":{"limited_data_use":true,"ad_personalization":false,"ad_user_data":true,"marketing":true},"#
            + #""context":{"sc_cookie1":"c1","sc_click_id":"sc","epik":"ep","wbraid":"wb","gbraid":"gb","gclid":"gc","ttp":"tp","#
            + #""ttclid":"tt","fbc":"fc","fbp":"fp","page_url":"https://shop.example/thanks","user_agent":"Mozilla/5.0","ip":"203.0.113.9"},"#
            + #""customer":{"country":"DE","postal_code":"10115","state":"BE","city":"Berlin","gender":"f","#
            + #""date_of_birth":"1990-01-31","last_name":"Muster","first_name":"Erika","phone":"+4930123456","email":"a@b.c","id":"c-1"},"#
            + #""items":[{"price":2.5,"quantity":2,"brand":"Acme","category":"Home","name":"Mug","sku":"S-1"}],"#
            + #""store_id":"shop-de","value":5,"currency":"EUR","occurred_at":"2026-11-26T10:15:30Z","order_id":"A-1","#
            + #""event_type":"order.completed","schema_version":1}"#
        let bytes = Array(document.utf8)
        let direct = try #require(DirectEventReaderTests.direct(bytes))
        #expect(direct == (try OrderEventDecoder().decodeThroughTree(bytes)))
        #expect(direct.consent.limitedDataUse == true && direct.consent.adPersonalization == false)
        #expect(direct.context.scCookie1?.unredactedValue == "c1" && direct.context.ip?.unredactedValue == "203.0.113.9")
        #expect(direct.customer.country?.unredactedValue == "DE" && direct.customer.id?.unredactedValue == "c-1")
        #expect(direct.items.first?.sku == "S-1" && direct.items.first?.price.literal == "2.5")
        #expect(direct.storeID == "shop-de")
    }

    /// The expected member written compactly (`,"name":`) is read without the general loop:
    /// whitespace anywhere around a name, a colon or a comma must give the same event through the
    /// loop, and an expected member already read (a duplicate) must still be refused.
    @Test(arguments: [
        (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1}"#, true),
        (#"{ "schema_version" :1 ,"event_type": "order.completed",  "order_id""# + "\t" + #":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1 }"#, true),
        ("{\n  \"schema_version\": 1,\n  \"event_type\": \"order.completed\",\n  \"order_id\": \"A-1\",\n  \"occurred_at\": \"2026-11-26T10:15:30Z\",\n  \"currency\": \"EUR\",\n  \"value\": 1\n}", true),
        (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at" :"2026-11-26T10:15:30Z","currency":"EUR","value":1,"consent":{"marketing":true ,"ad_user_data":false}}"#, true),
        (#"{"currency":"EUR","schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1}"#, false),
        (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1,"consent":{"ad_user_data":true,"marketing":true,"ad_user_data":true}}"#, false),
        (#"{"schema_version":1,"event_type":"order.completed","order_id":"A-1","occurred_at":"2026-11-26T10:15:30Z","currency":"EUR","value":1"store_id":"s"}"#, false),
    ])
    func theExpectedMemberIsReadAsTheLoopReadsIt(document: String, valid: Bool) throws {
        let bytes = Array(document.utf8)
        let outcomes = DirectEventReaderTests.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree)
        if valid {
            let direct = try #require(DirectEventReaderTests.direct(bytes))
            #expect(direct == (try OrderEventDecoder().decodeThroughTree(bytes)))
            #expect(direct.orderID == "A-1" && direct.currency == "EUR" && direct.value.literal == "1")
        } else {
            #expect(DirectEventReaderTests.direct(bytes) == nil)
            #expect(throws: OrderEventDecodingError.self) { try OrderEventDecoder().decode(bytes) }
        }
    }
}
