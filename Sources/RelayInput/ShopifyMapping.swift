import RelayCore

/// A Shopify Order resource (the body of the `orders/paid` and `orders/create` webhooks, and of
/// the Admin API's order endpoints) as a native event.
///
/// Source: the REST Admin API's Order resource (shopify.dev/docs/api/admin-rest/2021-10/resources/order;
/// the same properties in every later version), cited field by field in `docs/input-formats.md`.
///
/// Decisions:
/// - Conversion value: `total_price`, "the sum of all line item prices, discounts, shipping,
///   taxes, and tips in the shop currency", with `currency`, "the three-letter code for the shop
///   currency" — the amount and currency the order was charged in. The decimal string is copied
///   digit for digit into the contract's number.
/// - Order id: `id`, the order's numeric id (its digits), which is also what Shopify's storefront
///   gives a browser pixel (`checkout.order.id`, Liquid `order.id`): the pixel's event id must be
///   that number, not the order `name` (`#1001`) or `order_number`.
/// - Consent: none. `buyer_accepts_marketing` is "whether the customer consented to receive
///   email updates from the shop" — email-marketing consent, not consent to ad measurement — so
///   the relay does not read it; a mapped order says nothing about consent, as a native event
///   without `consent` does (its ad-consent choices live in Shopify's Customer Privacy API, in the
///   storefront: a shop that needs them sends them through a `jq` mapping).
/// - Page: `order_status_url`, the order status page where the storefront's pixel reports the
///   purchase (Meta needs a page URL and a user agent for website events).
/// - Time: `processed_at` ("when an order was processed"), else `created_at`.
/// - Customer: the order's `email` and `phone` (else the customer's); name and address from the
///   `billing_address` (else the customer's name); `province_code` and `country_code` as state
///   and country.
public struct ShopifyMapping: InputMapping {
    public var format: InputFormat { .shopify }

    public init() {}

    static let paths = SourcePathTable([
        "/order_id": "/id",
        "/occurred_at": "/processed_at",
        "/currency": "/currency",
        "/value": "/total_price",
        "/items": "/line_items",
        "/items/*/name": "/line_items/*/title",
        "/items/*/brand": "/line_items/*/vendor",
        "/customer/id": "/customer/id",
        "/customer/email": "/email",
        "/customer/phone": "/phone",
        "/customer/first_name": "/billing_address/first_name",
        "/customer/last_name": "/billing_address/last_name",
        "/customer/city": "/billing_address/city",
        "/customer/state": "/billing_address/province_code",
        "/customer/postal_code": "/billing_address/zip",
        "/customer/country": "/billing_address/country_code",
        "/context/ip": "/browser_ip",
        "/context/user_agent": "/client_details/user_agent",
        "/context/page_url": "/order_status_url",
    ])

    public func sourcePath(forContractPath path: String) -> String { Self.paths.sourcePath(for: path) }

    public func contractBytes(from record: [UInt8]) throws(OrderEventDecodingError) -> [UInt8] {
        var out = ContractWriter(format: .shopify)
        let tape = try ContractWriter.parse(record)
        let order = try out.root(tape)

        out.begin()
        guard let id = order.member("id"), id.kind != .null else { throw out.violation("/id", "is required") }
        try out.identifier("order_id", id, at: "/id")
        guard let time = ContractWriter.first((order.member("processed_at"), "/processed_at"), (order.member("created_at"), "/created_at")) else {
            throw out.violation("/processed_at", "is required (or created_at)")
        }
        try out.optionalString("occurred_at", time.value, at: time.path)
        guard let currency = order.member("currency"), currency.kind != .null else { throw out.violation("/currency", "is required") }
        try out.optionalString("currency", currency, at: "/currency")
        guard let total = order.member("total_price"), total.kind != .null else { throw out.violation("/total_price", "is required") }
        try out.amount("value", total, at: "/total_price")
        try lineItems(order.member("line_items"), into: &out)
        try customer(order, into: &out)
        try browserContext(order, into: &out)
        return out.finish()
    }

    private func lineItems(_ value: JSONTape.Value?, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        guard let lines = try out.array(value, at: "/line_items") else { return }
        out.writer.key("items")
        out.writer.beginArray()
        for (index, line) in lines.enumerated() {
            func at(_ tail: StaticString) -> SourcePointer { SourcePointer("/line_items/", index, tail) }
            guard let item = try out.object(line, at: at("")) else { throw out.violation(at(""), "must be an object, not null") }
            out.writer.beginObject()
            // A line item's `sku` may be empty or null (a product without one): its variant's id,
            // then its product's, identify it instead.
            guard
                let sku = ContractWriter.first(
                    (item.member("sku"), at("/sku")), (item.member("variant_id"), at("/variant_id")),
                    (item.member("product_id"), at("/product_id")))
            else { throw out.violation(at("/sku"), "is required (or variant_id, or product_id)") }
            try out.identifier("sku", sku.value, at: sku.path)
            try out.firstString("name", (item.member("title"), at("/title")), (item.member("name"), at("/name")))
            try out.firstString("brand", (item.member("vendor"), at("/vendor")))
            guard let quantity = item.member("quantity"), quantity.kind != .null else { throw out.violation(at("/quantity"), "is required") }
            try out.count("quantity", quantity, at: at("/quantity"))
            guard let price = item.member("price"), price.kind != .null else { throw out.violation(at("/price"), "is required") }
            try out.amount("price", price, at: at("/price"))
            out.writer.endObject()
        }
        out.writer.endArray()
    }

    private func customer(_ order: JSONTape.Object, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        let customer = try out.object(order.member("customer"), at: "/customer")
        let billing = try out.object(order.member("billing_address"), at: "/billing_address")
        out.writer.key("customer")
        out.writer.beginObject()
        if let id = ContractWriter.first((customer?.member("id"), "/customer/id")) { try out.identifier("id", id.value, at: id.path) }
        try out.firstString("email", (order.member("email"), "/email"), (order.member("contact_email"), "/contact_email"), (customer?.member("email"), "/customer/email"))
        try out.firstString(
            "phone", (order.member("phone"), "/phone"), (billing?.member("phone"), "/billing_address/phone"), (customer?.member("phone"), "/customer/phone"))
        try out.firstString(
            "first_name", (billing?.member("first_name"), "/billing_address/first_name"), (customer?.member("first_name"), "/customer/first_name"))
        try out.firstString(
            "last_name", (billing?.member("last_name"), "/billing_address/last_name"), (customer?.member("last_name"), "/customer/last_name"))
        try out.firstString("city", (billing?.member("city"), "/billing_address/city"))
        try out.firstString("state", (billing?.member("province_code"), "/billing_address/province_code"))
        try out.firstString("postal_code", (billing?.member("zip"), "/billing_address/zip"))
        try out.firstString("country", (billing?.member("country_code"), "/billing_address/country_code"))
        out.writer.endObject()
    }

    private func browserContext(_ order: JSONTape.Object, into out: inout ContractWriter) throws(OrderEventDecodingError) {
        let client = try out.object(order.member("client_details"), at: "/client_details")
        out.writer.key("context")
        out.writer.beginObject()
        try out.firstString("ip", (order.member("browser_ip"), "/browser_ip"), (client?.member("browser_ip"), "/client_details/browser_ip"))
        try out.firstString("user_agent", (client?.member("user_agent"), "/client_details/user_agent"))
        // The order status ("thank you") page: where the storefront's pixel fires its purchase.
        try out.firstString("page_url", (order.member("order_status_url"), "/order_status_url"))
        out.writer.endObject()
    }
}
