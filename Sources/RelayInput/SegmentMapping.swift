import RelayCore

/// A Segment "Order Completed" track call (e-commerce spec v2) as a native event.
///
/// Sources, cited field by field in `docs/input-formats.md`:
/// - the e-commerce spec v2, "Order Completed" (segmentio/segment-docs,
///   src/connections/spec/ecommerce/v2.md): `order_id`, `total`, `revenue`, `currency`,
///   `products[]` with `product_id`, `sku`, `name`, `category`, `brand`, `price`, `quantity`;
/// - the common fields and context spec (src/connections/spec/common.md): `timestamp`,
///   `userId`, `context.ip`, `context.userAgent`, `context.page.url`, `context.traits`;
/// - the identify traits spec (src/connections/spec/identify.md): `email`, `phone`, `firstName`,
///   `lastName`, `birthday`, `gender`, `address.{city,state,postalCode,country}`;
/// - Consent Management's consent object (twilio.com/docs/segment/privacy/consent-management/
///   consent-in-unify): `context.consent.categoryPreferences`, keyed by category id.
///
/// Decisions:
/// - Conversion value: `properties.revenue`, as Segment's own ad destinations send it
///   (segmentio/action-destinations: Facebook Conversions API's Purchase and GA4's purchase
///   default `value` to `$.properties.revenue`), so the server event agrees with a browser pixel
///   fed by Segment; `total`, then `value`, when `revenue` is absent.
/// - Order id: `properties.order_id` — the id Segment's destinations send as the transaction id,
///   so the browser pixel's event id must be that value.
/// - Consent: the `Advertising` category of `context.consent.categoryPreferences` (the category id
///   of Segment's documented example) becomes `consent.marketing`; without it, the event says
///   nothing about consent, as a native event without `consent` does.
public struct SegmentMapping: InputMapping {
    public var format: InputFormat { .segment }

    /// The consent category whose choice decides whether the order goes to ad platforms.
    public var advertisingCategory: String

    public init(advertisingCategory: String = "Advertising") {
        self.advertisingCategory = advertisingCategory
    }

    static let paths = SourcePathTable([
        "/order_id": "/properties/order_id",
        "/occurred_at": "/timestamp",
        "/currency": "/properties/currency",
        "/value": "/properties/revenue",
        "/items": "/properties/products",
        "/items/*/sku": "/properties/products/*/sku",
        "/customer/id": "/userId",
        "/customer/email": "/context/traits/email",
        "/customer/phone": "/context/traits/phone",
        "/customer/first_name": "/context/traits/firstName",
        "/customer/last_name": "/context/traits/lastName",
        "/customer/date_of_birth": "/context/traits/birthday",
        "/customer/gender": "/context/traits/gender",
        "/customer/city": "/context/traits/address/city",
        "/customer/state": "/context/traits/address/state",
        "/customer/postal_code": "/context/traits/address/postalCode",
        "/customer/country": "/context/traits/address/country",
        "/context/ip": "/context/ip",
        "/context/user_agent": "/context/userAgent",
        "/context/page_url": "/context/page/url",
        "/consent/marketing": "/context/consent/categoryPreferences/Advertising",
    ])

    public func sourcePath(forContractPath path: String) -> String { Self.paths.sourcePath(for: path) }

    public func contractBytes(from record: [UInt8]) throws(OrderEventDecodingError) -> [UInt8] {
        var out = ContractWriter(format: .segment)
        let tape = try ContractWriter.parse(record)
        let root = try out.root(tape)
        if let type = root.member("type"), !type.isString("track") {
            throw out.violation("/type", "must be \"track\"")
        }
        guard let event = root.member("event"), event.isString("Order Completed") else {
            throw out.violation("/event", "must be \"Order Completed\"")
        }
        guard let properties = try out.object(root.member("properties"), at: "/properties") else {
            throw out.violation("/properties", "is required")
        }
        let context = try out.object(root.member("context"), at: "/context")

        out.begin()
        guard let orderID = ContractWriter.first((properties.member("order_id"), "/properties/order_id")) else {
            throw out.violation("/properties/order_id", "is required")
        }
        try out.identifier("order_id", orderID.value, at: orderID.path)
        guard let timestamp = ContractWriter.first((root.member("timestamp"), "/timestamp"), (root.member("originalTimestamp"), "/originalTimestamp"))
        else { throw out.violation("/timestamp", "is required") }
        try out.optionalString("occurred_at", timestamp.value, at: timestamp.path)
        try currency(properties.member("currency"), into: &out)
        guard
            let value = ContractWriter.first(
                (properties.member("revenue"), "/properties/revenue"), (properties.member("total"), "/properties/total"),
                (properties.member("value"), "/properties/value"))
        else { throw out.violation("/properties/revenue", "is required (or total, or value)") }
        try out.amount("value", value.value, at: value.path)
        try products(properties.member("products"), into: &out)
        try customer(root: root, context: context, into: &out)
        try browserContext(context, into: &out)
        try consent(context, into: &out)
        return out.finish()
    }

    /// `properties.currency`, upper-cased: the spec's examples write both `USD` and `usd`.
    private func currency(_ value: JSONTape.Value?, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        guard let value, value.kind != .null else { throw out.violation("/properties/currency", "is required") }
        guard let code = value.string else { throw out.violation("/properties/currency", "must be a string, not \(value.typeName)") }
        out.writer.key("currency")
        out.writer.string(code.uppercased())
    }

    private func products(_ value: JSONTape.Value?, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        guard let products = try out.array(value, at: "/properties/products") else { return }
        out.writer.key("items")
        out.writer.beginArray()
        for (index, product) in products.enumerated() {
            func at(_ tail: StaticString) -> SourcePointer { SourcePointer("/properties/products/", index, tail) }
            guard let item = try out.object(product, at: at("")) else { throw out.violation(at(""), "must be an object, not null") }
            out.writer.beginObject()
            guard let sku = ContractWriter.first((item.member("sku"), at("/sku")), (item.member("product_id"), at("/product_id"))) else {
                throw out.violation(at("/sku"), "is required (or product_id)")
            }
            try out.identifier("sku", sku.value, at: sku.path)
            try out.optionalString("name", item.member("name"), at: at("/name"))
            try out.optionalString("category", item.member("category"), at: at("/category"))
            try out.optionalString("brand", item.member("brand"), at: at("/brand"))
            // The spec makes quantity optional; one of a product is what an order line without
            // one means.
            if let quantity = item.member("quantity"), quantity.kind != .null {
                try out.count("quantity", quantity, at: at("/quantity"))
            } else {
                out.writer.key("quantity")
                out.writer.integer(1)
            }
            guard let price = item.member("price"), price.kind != .null else { throw out.violation(at("/price"), "is required") }
            try out.amount("price", price, at: at("/price"))
            out.writer.endObject()
        }
        out.writer.endArray()
    }

    private func customer(root: JSONTape.Object, context: JSONTape.Object?, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        let traits = try out.object(context?.member("traits"), at: "/context/traits")
        let address = try out.object(traits?.member("address"), at: "/context/traits/address")
        out.writer.key("customer")
        out.writer.beginObject()
        if let userID = ContractWriter.first((root.member("userId"), "/userId")) { try out.identifier("id", userID.value, at: userID.path) }
        try out.firstString("email", (traits?.member("email"), "/context/traits/email"))
        try out.firstString("phone", (traits?.member("phone"), "/context/traits/phone"))
        try out.firstString("first_name", (traits?.member("firstName"), "/context/traits/firstName"))
        try out.firstString("last_name", (traits?.member("lastName"), "/context/traits/lastName"))
        try out.firstString("date_of_birth", (traits?.member("birthday"), "/context/traits/birthday"))
        try out.firstString("gender", (traits?.member("gender"), "/context/traits/gender"))
        try out.firstString("city", (address?.member("city"), "/context/traits/address/city"))
        try out.firstString("state", (address?.member("state"), "/context/traits/address/state"))
        try out.firstString("postal_code", (address?.member("postalCode"), "/context/traits/address/postalCode"))
        try out.firstString("country", (address?.member("country"), "/context/traits/address/country"))
        out.writer.endObject()
    }

    private func browserContext(_ context: JSONTape.Object?, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        guard let context else { return }
        let page = try out.object(context.member("page"), at: "/context/page")
        out.writer.key("context")
        out.writer.beginObject()
        try out.firstString("ip", (context.member("ip"), "/context/ip"))
        try out.firstString("user_agent", (context.member("userAgent"), "/context/userAgent"))
        try out.firstString("page_url", (page?.member("url"), "/context/page/url"))
        out.writer.endObject()
    }

    private func consent(_ context: JSONTape.Object?, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        let consent = try out.object(context?.member("consent"), at: "/context/consent")
        let preferences = try out.object(consent?.member("categoryPreferences"), at: "/context/consent/categoryPreferences")
        guard let preferences, let advertising = preferences[advertisingCategory] else { return }
        out.writer.key("consent")
        out.writer.beginObject()
        try out.optionalBool(
            "marketing", advertising, at: SourcePointer(text: "/context/consent/categoryPreferences/\(advertisingCategory)"))
        out.writer.endObject()
    }
}
