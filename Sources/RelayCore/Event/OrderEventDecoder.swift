/// Decodes and validates `order.completed` v1 events.
///
/// Accepts exactly what `schemas/order-completed.v1.json` accepts (a test runs every example in
/// `schemas/examples/` through this decoder and through Python `jsonschema` and requires the same
/// verdict). Unknown members are allowed and ignored.
///
/// A valid event is read straight from its bytes (``DirectEventReader``, no JSON tree); an input
/// it gives up on goes through ``JSONParser``'s tree, which names the error.
public struct OrderEventDecoder: Sendable {
    public var parser: JSONParser

    /// Longest `order_id` (printable ASCII, no spaces).
    public static let maximumOrderIDLength = 128
    /// Longest `store_id` (printable ASCII, no spaces).
    public static let maximumStoreIDLength = 64
    /// Longest customer field.
    public static let maximumCustomerFieldLength = 256
    /// Longest context field (user agents and URLs are long).
    public static let maximumContextFieldLength = 2048
    /// Most line items in one order.
    public static let maximumItems = 500

    public init(parser: JSONParser = JSONParser()) {
        self.parser = parser
    }

    /// Decodes a record. A valid event is read straight from its bytes, in place: its long values
    /// are ranges of `record`, which the event keeps alive. Anything else (and the rare valid event
    /// the direct reader leaves to the tree) goes through the tree, which names the error.
    public func decode(_ record: [UInt8]) throws(OrderEventDecodingError) -> OrderEvent {
        if let event = DirectEventReader.read(record, parser: parser) { return event }
        return try decodeThroughTree(record)
    }

    /// ``decode(_:)-([UInt8])`` of the bytes in an array (a copy unless they are one already).
    public func decode(_ bytes: some Collection<UInt8>) throws(OrderEventDecodingError) -> OrderEvent {
        try decode(Array(bytes))
    }

    /// Decodes through a ``JSONValue`` tree: the reference the direct reader is tested against,
    /// and the path that explains every refusal.
    func decodeThroughTree(_ bytes: some Collection<UInt8>) throws(OrderEventDecodingError) -> OrderEvent {
        let document: JSONValue
        do {
            document = try parser.parse(bytes)
        } catch {
            throw OrderEventDecodingError(kind: .malformedJSON, path: "", reason: error.description)
        }
        return try decode(document)
    }

    public func decode(_ document: JSONValue) throws(OrderEventDecodingError) -> OrderEvent {
        let reader = Reader()
        let root = try reader.object(document, at: "")

        let version = try reader.required(root, "schema_version", at: "")
        guard case .number(let number) = version, number.integer == 1 else {
            throw reader.violation("/schema_version", "must be the integer 1")
        }
        guard case .string("order.completed") = try reader.required(root, "event_type", at: "") else {
            throw reader.violation("/event_type", "must be \"order.completed\"")
        }
        let orderID = try reader.string(try reader.required(root, "order_id", at: ""), at: "/order_id")
        guard Self.isToken(orderID, maximumLength: Self.maximumOrderIDLength) else {
            throw reader.violation(
                "/order_id", "must be 1 to \(Self.maximumOrderIDLength) printable ASCII characters without spaces")
        }
        let occurredText = try reader.string(try reader.required(root, "occurred_at", at: ""), at: "/occurred_at")
        guard let occurredAt = RFC3339.parse(occurredText) else {
            throw reader.violation("/occurred_at", "must be an RFC 3339 date-time")
        }
        let currency = try reader.string(try reader.required(root, "currency", at: ""), at: "/currency")
        guard ISO4217.codes.contains(currency) else {
            throw reader.violation("/currency", "must be an active ISO 4217 currency code (upper case)")
        }
        let value = try reader.number(try reader.required(root, "value", at: ""), at: "/value")
        guard value.double >= 0 else { throw reader.violation("/value", "must be >= 0") }

        var event = OrderEvent(orderID: orderID, occurredAt: occurredAt, currency: currency, value: value)

        if let storeValue = root["store_id"], !storeValue.isNull {
            let storeID = try reader.string(storeValue, at: "/store_id")
            guard Self.isToken(storeID, maximumLength: Self.maximumStoreIDLength) else {
                throw reader.violation(
                    "/store_id",
                    "must be 1 to \(Self.maximumStoreIDLength) printable ASCII characters without spaces")
            }
            event.storeID = storeID
        }
        if let itemsValue = root["items"] {
            guard case .array(let elements) = itemsValue else {
                throw reader.violation("/items", "expected array, found \(itemsValue.typeName)")
            }
            guard elements.count <= Self.maximumItems else {
                throw reader.violation("/items", "more than \(Self.maximumItems) items")
            }
            event.items.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                event.items.append(try reader.item(element, at: "/items/\(index)"))
            }
        }
        if let customerValue = root["customer"], !customerValue.isNull {
            let object = try reader.object(customerValue, at: "/customer")
            for (member, name) in OrderEvent.Customer.memberNames.enumerated() {
                event.customer.setMember(
                    member,
                    to: try reader.pii(object, "\(name)", at: "/customer", maximumLength: Self.maximumCustomerFieldLength))
            }
        }
        if let contextValue = root["context"], !contextValue.isNull {
            let object = try reader.object(contextValue, at: "/context")
            for (member, name) in OrderEvent.Context.memberNames.enumerated() {
                event.context.setMember(
                    member,
                    to: try reader.pii(object, "\(name)", at: "/context", maximumLength: Self.maximumContextFieldLength))
            }
        }
        if let consentValue = root["consent"], !consentValue.isNull {
            let object = try reader.object(consentValue, at: "/consent")
            for (member, name) in OrderEvent.Consent.memberNames.enumerated() {
                event.consent.setMember(member, to: try reader.optionalBool(object, "\(name)", at: "/consent"))
            }
        }
        return event
    }

    /// Whether `text` is a valid `store_id` under the event contract.
    public static func isValidStoreID(_ text: String) -> Bool {
        isToken(text, maximumLength: maximumStoreIDLength)
    }

    /// At most `maximumLength` characters (Unicode scalars, the schema's `maxLength`). A string
    /// has no more scalars than UTF-8 bytes, and the byte count is known without a scan, so the
    /// scalars are counted only when the bytes exceed the limit. Both decoding paths check
    /// lengths through this.
    static func isWithinLength(_ text: String, maximumLength: Int) -> Bool {
        text.utf8.count <= maximumLength || text.unicodeScalars.count <= maximumLength
    }

    /// 1...maximumLength characters from `!` to `~` (printable ASCII, no space).
    static func isToken(_ text: String, maximumLength: Int) -> Bool {
        let utf8 = text.utf8
        return !utf8.isEmpty && utf8.count <= maximumLength && utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// ``isToken(_:maximumLength:)`` of UTF-8 bytes.
    static func isToken(_ bytes: UnsafeBufferPointer<UInt8>, maximumLength: Int) -> Bool {
        !bytes.isEmpty && bytes.count <= maximumLength && bytes.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}

/// Typed accessors that turn a mismatch into a schema violation naming the path and rule.
private struct Reader {
    func violation(_ path: String, _ reason: String) -> OrderEventDecodingError {
        OrderEventDecodingError(kind: .schemaViolation, path: path, reason: reason)
    }

    func object(_ value: JSONValue, at path: String) throws(OrderEventDecodingError) -> JSONObject {
        guard case .object(let object) = value else {
            throw violation(path, "expected object, found \(value.typeName)")
        }
        return object
    }

    func required(_ object: JSONObject, _ key: String, at path: String) throws(OrderEventDecodingError)
        -> JSONValue
    {
        guard let value = object[key] else { throw violation("\(path)/\(key)", "is required") }
        return value
    }

    /// `path` is built only when the value is wrong (it names the value in the error).
    func string(_ value: JSONValue, at path: @autoclosure () -> String) throws(OrderEventDecodingError) -> String {
        guard case .string(let text) = value else { throw violation(path(), "expected string, found \(value.typeName)") }
        return text
    }

    func number(_ value: JSONValue, at path: @autoclosure () -> String) throws(OrderEventDecodingError) -> JSONNumber {
        guard case .number(let number) = value else {
            throw violation(path(), "expected number, found \(value.typeName)")
        }
        return number
    }

    func optionalString(_ object: JSONObject, _ key: String, at path: String, maximumLength: Int)
        throws(OrderEventDecodingError) -> String?
    {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .string(let text) = value else {
            throw violation("\(path)/\(key)", "expected string or null, found \(value.typeName)")
        }
        guard OrderEventDecoder.isWithinLength(text, maximumLength: maximumLength) else {
            throw violation("\(path)/\(key)", "longer than \(maximumLength) characters")
        }
        return text
    }

    func pii(_ object: JSONObject, _ key: String, at path: String, maximumLength: Int)
        throws(OrderEventDecodingError) -> RawPII?
    {
        try optionalString(object, key, at: path, maximumLength: maximumLength).map(RawPII.init)
    }

    func optionalBool(_ object: JSONObject, _ key: String, at path: String) throws(OrderEventDecodingError)
        -> Bool?
    {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .bool(let flag) = value else {
            throw violation("\(path)/\(key)", "expected boolean or null, found \(value.typeName)")
        }
        return flag
    }

    func item(_ value: JSONValue, at path: String) throws(OrderEventDecodingError) -> OrderEvent.Item {
        let object = try self.object(value, at: path)
        let sku = try string(try required(object, "sku", at: path), at: "\(path)/sku")
        guard !sku.isEmpty, OrderEventDecoder.isWithinLength(sku, maximumLength: 256) else {
            throw violation("\(path)/sku", "must be 1 to 256 characters")
        }
        let quantityNumber = try number(try required(object, "quantity", at: path), at: "\(path)/quantity")
        guard let quantity = quantityNumber.integer else {
            throw violation("\(path)/quantity", "expected integer")
        }
        guard quantity >= 1, quantity <= 1_000_000 else {
            throw violation("\(path)/quantity", "must be between 1 and 1000000")
        }
        let price = try number(try required(object, "price", at: path), at: "\(path)/price")
        guard price.double >= 0 else { throw violation("\(path)/price", "must be >= 0") }
        return OrderEvent.Item(
            sku: sku,
            name: try optionalString(object, "name", at: path, maximumLength: 256),
            category: try optionalString(object, "category", at: path, maximumLength: 256),
            brand: try optionalString(object, "brand", at: path, maximumLength: 256),
            quantity: quantity,
            price: price
        )
    }
}
