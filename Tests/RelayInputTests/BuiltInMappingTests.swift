import Foundation
import RelayCore
import RelayInput
import Testing

/// The built-in mappings on the sources' documented examples (Tests/Fixtures/input-formats), and
/// their refusals: each names the source's field, never a value.
@Suite struct BuiltInMappingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/input-formats")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// The fixture as a mutable JSON object, to break one field at a time.
    static func edited(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var object = try JSONSerialization.jsonObject(with: Data(try fixture(name))) as! [String: Any]
        edit(&object)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    static func decode(_ mapping: any InputMapping, _ bytes: [UInt8]) throws(OrderEventDecodingError) -> OrderEvent {
        try MappedEventDecoder(mapping: mapping).decode(bytes)
    }

    @Test func segmentOrderCompletedBecomesTheNativeEvent() throws {
        let event = try Self.decode(SegmentMapping(), try Self.fixture("segment/order-completed.json"))
        #expect(event.orderID == "50314b8e9bcf000000000000")
        #expect(event.occurredAt.rfc3339 == "2015-02-23T22:28:55.111Z")
        #expect(event.currency == "USD")
        // revenue (25.00), not total (27.50): what Segment's own ad destinations send as value.
        #expect(event.value.literal == "25.00")
        #expect(event.items.map(\.sku) == ["45790-32", "46493-32"])
        #expect(event.items.map(\.quantity) == [1, 2])
        #expect(event.items.map(\.price.literal) == ["19", "3"])
        #expect(event.items.map(\.name) == ["Monopoly: 3rd Edition", "Uno Card Game"])
        #expect(event.items.map(\.category) == ["Games", "Games"])
        #expect(event.customer.id?.unredactedValue == "97980cfea0067")
        #expect(event.customer.email?.unredactedValue == "Peter@Example.com")
        #expect(event.customer.phone?.unredactedValue == "+1 415 555 0132")
        #expect(event.customer.firstName?.unredactedValue == "Peter")
        #expect(event.customer.lastName?.unredactedValue == "Gibbons")
        #expect(event.customer.city?.unredactedValue == "San Francisco")
        #expect(event.customer.state?.unredactedValue == "CA")
        #expect(event.customer.postalCode?.unredactedValue == "94103")
        #expect(event.customer.country?.unredactedValue == "USA")
        #expect(event.context.ip?.unredactedValue == "8.8.8.8")
        #expect(event.context.userAgent?.unredactedValue.hasPrefix("Mozilla/5.0 (Macintosh") == true)
        #expect(event.context.pageURL?.unredactedValue == "https://segment.com/academy/")
        #expect(event.consent.marketing == true)
        #expect(event.consent.adUserData == nil)
    }

    @Test func segmentValueFallsBackToTotalAndCurrencyIsUpperCased() throws {
        let bytes = try Self.edited("segment/order-completed.json") { object in
            var properties = object["properties"] as! [String: Any]
            properties["revenue"] = nil
            properties["currency"] = "usd"
            object["properties"] = properties
        }
        let event = try Self.decode(SegmentMapping(), bytes)
        #expect(event.value.double == 27.5)
        #expect(event.currency == "USD")
    }

    @Test func segmentAdvertisingRefusalStopsTheOrderAndAbsentConsentSaysNothing() throws {
        let refused = try Self.edited("segment/order-completed.json") { object in
            var context = object["context"] as! [String: Any]
            context["consent"] = ["categoryPreferences": ["Advertising": false, "Analytics": true]]
            object["context"] = context
        }
        #expect(try Self.decode(SegmentMapping(), refused).consent.marketing == false)
        let silent = try Self.edited("segment/order-completed.json") { object in
            var context = object["context"] as! [String: Any]
            context["consent"] = nil
            object["context"] = context
        }
        #expect(try Self.decode(SegmentMapping(), silent).consent.marketing == nil)
    }

    @Test func shopifyOrdersPaidBecomesTheNativeEvent() throws {
        let event = try Self.decode(ShopifyMapping(), try Self.fixture("shopify/orders-paid.json"))
        #expect(event.orderID == "450789469")
        #expect(event.occurredAt.rfc3339 == "2008-01-10T11:00:00-05:00")
        #expect(event.currency == "USD")
        #expect(event.value.literal == "598.94")
        // The third line's empty sku gives way to its variant id.
        #expect(event.items.map(\.sku) == ["IPOD2008GREEN", "IPOD2008RED", "457924702"])
        #expect(event.items.map(\.price.literal) == ["199.00", "199.00", "199.00"])
        #expect(event.items.map(\.name) == ["IPod Nano - 8gb", "IPod Nano - 8gb", "IPod Nano - 8gb"])
        #expect(event.customer.id?.unredactedValue == "207119551")
        #expect(event.customer.email?.unredactedValue == "bob.norman@mail.example.com")
        #expect(event.customer.phone?.unredactedValue == "+557734881234")
        #expect(event.customer.firstName?.unredactedValue == "Bob")
        #expect(event.customer.lastName?.unredactedValue == "Norman")
        #expect(event.customer.city?.unredactedValue == "Louisville")
        #expect(event.customer.state?.unredactedValue == "KY")
        #expect(event.customer.postalCode?.unredactedValue == "40202")
        #expect(event.customer.country?.unredactedValue == "US")
        #expect(event.context.ip?.unredactedValue == "216.191.105.146")
        #expect(event.context.userAgent == nil)
        // buyer_accepts_marketing (false in the example) is email consent: not read.
        #expect(event.consent.marketing == nil)
    }

    /// One broken field each; the reason names the source's field and carries no value.
    @Test(arguments: [
        ("segment", "properties.order_id", "/properties/order_id: is required"),
        ("segment", "properties.currency=EURO", "/properties/currency: must be an active ISO 4217 currency code"),
        ("segment", "properties.revenue=-5", "/properties/revenue: must be >= 0"),
        ("segment", "properties.revenue=abc", "/properties/revenue: must be a number or a decimal string"),
        ("segment", "event=Product Viewed", "/event: must be \"Order Completed\""),
        ("segment", "timestamp=yesterday", "/timestamp: must be an RFC 3339 date-time"),
        ("segment", "properties.products.0.price", "/properties/products/0/price: is required"),
        ("shopify", "id", "/id: is required"),
        ("shopify", "total_price=12,50", "/total_price: must be a number or a decimal string"),
        ("shopify", "currency=Dollars", "/currency: must be an active ISO 4217 currency code"),
        ("shopify", "line_items.0.quantity=0", "/line_items/0/quantity: must be between 1 and 1000000"),
        ("shopify", "email=7", "/email: must be a string, not number"),
        ("shopify", "processed_at=10/01/2008", "/processed_at: must be an RFC 3339 date-time"),
    ])
    func aBadFieldIsNamedAndItsValueIsNot(format: String, edit: String, expected: String) throws {
        let name = format == "segment" ? "segment/order-completed.json" : "shopify/orders-paid.json"
        let mapping: any InputMapping = format == "segment" ? SegmentMapping() : ShopifyMapping()
        let parts = edit.split(separator: "=", maxSplits: 1).map(String.init)
        let path = parts[0].split(separator: ".").map(String.init)
        let newValue: Any? = parts.count == 2 ? (Double(parts[1]).map { $0 as Any } ?? parts[1]) : nil
        let bytes = try Self.edited(name) { object in Self.set(&object, path[...], newValue) }
        do {
            _ = try Self.decode(mapping, bytes)
            Issue.record("accepted after \(edit)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
            if let value = parts.count == 2 ? parts[1] : nil, value.count > 2 {
                #expect(!error.description.contains(value))
            }
        }
    }

    static func set(_ object: inout [String: Any], _ path: ArraySlice<String>, _ value: Any?) {
        let key = path.first!
        if path.count == 1 {
            object[key] = value
        } else if var child = object[key] as? [String: Any] {
            set(&child, path.dropFirst(), value)
            object[key] = child
        } else if var list = object[key] as? [[String: Any]], let index = Int(path.dropFirst().first!) {
            set(&list[index], path.dropFirst(2), value)
            object[key] = list
        }
    }

    /// Keys are found however the producer escaped them (`\u0069` is `i`).
    @Test func escapedKeysAreFound() throws {
        let text = String(decoding: try Self.fixture("segment/order-completed.json"), as: UTF8.self)
            .replacing("\"properties\"", with: "\"propert\\u0069es\"").replacing("\"order_id\"", with: "\"order\\u005fid\"")
        #expect(text.contains("propert\\u0069es"))
        #expect(try Self.decode(SegmentMapping(), Array(text.utf8)).orderID == "50314b8e9bcf000000000000")
    }

    @Test func notJSONAndNotAnObjectAreRefusedAsSuch() throws {
        #expect(throws: OrderEventDecodingError.self) { try Self.decode(SegmentMapping(), Array("{\"event\":".utf8)) }
        do {
            _ = try Self.decode(ShopifyMapping(), Array("[1]".utf8))
        } catch {
            #expect(error.kind == .schemaViolation)
            #expect(error.path == "")
        }
        do {
            _ = try Self.decode(ShopifyMapping(), Array("{\"id\":".utf8))
        } catch {
            #expect(error.kind == .malformedJSON)
        }
    }

    @Test func contractPathsTranslateToSourcePaths() {
        #expect(SegmentMapping().sourcePath(forContractPath: "/items/3/price") == "/properties/products/3/price")
        #expect(ShopifyMapping().sourcePath(forContractPath: "/items/2/name") == "/line_items/2/title")
        #expect(ShopifyMapping().sourcePath(forContractPath: "/customer/state") == "/billing_address/province_code")
        #expect(ShopifyMapping().sourcePath(forContractPath: "/unknown") == "/unknown")
    }
}
