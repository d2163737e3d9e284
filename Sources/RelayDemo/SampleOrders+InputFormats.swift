import RelayCore
import RelayInput

/// Sample orders in the other input formats, so the demo and the benchmarks can feed a relay
/// configured with `input.format: segment | shopify | jq` the same orders a native one gets.
extension SampleOrderGenerator {
    /// The jq program that maps ``render(_:as:)``'s in-house shape (the one of
    /// `Tests/Fixtures/input-formats/jq/in-house-order.jq`).
    public static let inHouseProgram = """
        {
          schema_version: 1,
          event_type: "order.completed",
          order_id: .order.ref,
          occurred_at: .order.placed,
          currency: (.money.currency | ascii_upcase),
          value: (.money.amount_minor / 100),
          items: [.lines[] | {sku: .article, quantity: .qty, price: (.unit_minor / 100)}],
          customer: {email: .buyer.mail, phone: .buyer.mobile, country: .buyer.land},
          context: {ip: .web.ip, user_agent: .web.ua, page_url: .web.page},
          consent: {marketing: .web.ad_consent}
        }
        """

    /// The numeric id a Shopify-shaped sample gets for `orderID`: its FNV-1a hash, below 2^52.
    public static func shopifyID(_ orderID: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in orderID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int64(hash >> 12)
    }

    /// `sample`'s order as a record of `format`; a malformed sample stays as it is (it is
    /// malformed in every format).
    public static func render(_ sample: Sample, as format: InputFormat) -> [UInt8] {
        guard format != .native, sample.isValid, let event = try? OrderEventDecoder().decode(sample.bytes) else { return sample.bytes }
        var writer = JSONWriter(reservingCapacity: 2048)
        func text(_ key: String, _ value: String?) {
            guard let value else { return }
            writer.key(dynamic: key)
            writer.string(value)
        }
        writer.beginObject()
        switch format {
        case .native, .jq:
            text("kind", "checkout.finished")
            writer.key("order")
            writer.beginObject()
            text("ref", event.orderID)
            text("placed", event.occurredAt.rfc3339)
            writer.endObject()
            writer.key("money")
            writer.beginObject()
            writer.key("amount_minor")
            writer.integer(Int64((event.value.double * 100).rounded()))
            text("currency", event.currency.lowercased())
            writer.endObject()
            writer.key("buyer")
            writer.beginObject()
            text("mail", event.customer.email?.unredactedValue)
            text("mobile", event.customer.phone?.unredactedValue)
            text("land", event.customer.country?.unredactedValue)
            writer.endObject()
            writer.key("lines")
            writer.beginArray()
            for item in event.items {
                writer.beginObject()
                text("article", item.sku)
                writer.key("qty")
                writer.integer(item.quantity)
                writer.key("unit_minor")
                writer.integer(Int64((item.price.double * 100).rounded()))
                writer.endObject()
            }
            writer.endArray()
            writer.key("web")
            writer.beginObject()
            text("page", event.context.pageURL?.unredactedValue)
            text("ip", event.context.ip?.unredactedValue)
            text("ua", event.context.userAgent?.unredactedValue)
            if let marketing = event.consent.marketing {
                writer.key("ad_consent")
                writer.bool(marketing)
            }
            writer.endObject()
        case .segment:
            text("type", "track")
            text("event", "Order Completed")
            text("userId", event.customer.id?.unredactedValue)
            text("timestamp", event.occurredAt.rfc3339)
            writer.key("context")
            writer.beginObject()
            text("ip", event.context.ip?.unredactedValue)
            text("userAgent", event.context.userAgent?.unredactedValue)
            writer.key("page")
            writer.beginObject()
            text("url", event.context.pageURL?.unredactedValue)
            writer.endObject()
            writer.key("traits")
            writer.beginObject()
            text("email", event.customer.email?.unredactedValue)
            text("phone", event.customer.phone?.unredactedValue)
            text("firstName", event.customer.firstName?.unredactedValue)
            text("lastName", event.customer.lastName?.unredactedValue)
            writer.key("address")
            writer.beginObject()
            text("city", event.customer.city?.unredactedValue)
            text("state", event.customer.state?.unredactedValue)
            text("postalCode", event.customer.postalCode?.unredactedValue)
            text("country", event.customer.country?.unredactedValue)
            writer.endObject()
            writer.endObject()
            if let marketing = event.consent.marketing {
                writer.key("consent")
                writer.beginObject()
                writer.key("categoryPreferences")
                writer.beginObject()
                writer.key("Advertising")
                writer.bool(marketing)
                writer.endObject()
                writer.endObject()
            }
            writer.endObject()
            writer.key("properties")
            writer.beginObject()
            text("order_id", event.orderID)
            writer.key("revenue")
            writer.number(event.value)
            text("currency", event.currency)
            writer.key("products")
            writer.beginArray()
            for item in event.items {
                writer.beginObject()
                text("sku", item.sku)
                text("name", item.name)
                text("category", item.category)
                text("brand", item.brand)
                writer.key("price")
                writer.number(item.price)
                writer.key("quantity")
                writer.integer(item.quantity)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        case .shopify:
            // Shopify's ids are numbers: the sample's order id becomes digits derived from it.
            writer.key("id")
            writer.integer(shopifyID(event.orderID))
            text("email", event.customer.email?.unredactedValue)
            text("phone", event.customer.phone?.unredactedValue)
            text("processed_at", event.occurredAt.rfc3339)
            text("currency", event.currency)
            text("total_price", event.value.literal)
            text("browser_ip", event.context.ip?.unredactedValue)
            text("order_status_url", event.context.pageURL?.unredactedValue)
            writer.key("buyer_accepts_marketing")
            writer.bool(false)
            writer.key("client_details")
            writer.beginObject()
            text("user_agent", event.context.userAgent?.unredactedValue)
            writer.endObject()
            writer.key("billing_address")
            writer.beginObject()
            text("first_name", event.customer.firstName?.unredactedValue)
            text("last_name", event.customer.lastName?.unredactedValue)
            text("city", event.customer.city?.unredactedValue)
            text("province_code", event.customer.state?.unredactedValue)
            text("zip", event.customer.postalCode?.unredactedValue)
            text("country_code", event.customer.country?.unredactedValue)
            writer.endObject()
            writer.key("line_items")
            writer.beginArray()
            for item in event.items {
                writer.beginObject()
                text("sku", item.sku)
                text("title", item.name)
                text("vendor", item.brand)
                writer.key("quantity")
                writer.integer(item.quantity)
                text("price", item.price.literal)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }
}
