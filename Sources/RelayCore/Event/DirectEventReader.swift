/// Reads a valid `order.completed` event straight from its bytes into an ``OrderEvent``, without
/// a ``JSONValue`` tree: no array of members per object, no lookup of each field by scanning the
/// members, no copy of each value out of the tree.
///
/// It only ever answers for a valid event. Whatever it is not sure of (a schema violation,
/// malformed JSON, a member name with an escape or a non-ASCII byte, which the tree path compares
/// with `String`'s Unicode equivalence) makes it give up, and ``OrderEventDecoder`` decodes the
/// record again through the tree, which names the error. Error messages therefore have one
/// source, and a test and the fuzzer check that both paths agree on every input.
///
/// Values are read by the same ``JSONCursor`` the tree parser uses (so strings, numbers, depth
/// and unknown members are validated by the same code); the rules are the decoder's.
///
/// The record is read in place: the event's long personal values and its timestamp's text are
/// byte ranges of the record's array, which they keep alive (short ones are copied inline, values
/// with escapes resolved first): no copy of the record, no `String` per value, and a UTF-8 check
/// only of the values with a non-ASCII byte.
struct DirectEventReader {
    var cursor: JSONCursor
    /// The record, what `cursor` reads.
    let record: [UInt8]
    /// Where a value with escapes is resolved, one at a time (made at the first escape, as large
    /// as the record: a resolved escape is never longer than it was written).
    var scratch: UnsafeMutableBufferPointer<UInt8>? = nil

    /// Thrown inside the reader only: "decode this one through the tree".
    struct GiveUp: Error {}

    /// The event in `record`, or nil when the tree path must decide (the event may still be valid).
    static func read(_ record: [UInt8], parser: JSONParser) -> OrderEvent? {
        guard record.count <= parser.maximumBytes else { return nil }
        return record.withUnsafeBufferPointer { bytes in
            var reader = DirectEventReader(cursor: JSONCursor(bytes: bytes, maximumDepth: parser.maximumDepth), record: record)
            defer { reader.scratch?.deallocate() }
            do {
                return try reader.document()
            } catch {
                return nil
            }
        }
    }

    /// ``read(_:parser:)-([UInt8],_)`` of a copy of `buffer`.
    static func read(_ buffer: UnsafeBufferPointer<UInt8>, parser: JSONParser) -> OrderEvent? {
        guard buffer.count <= parser.maximumBytes else { return nil }
        return read(Array(buffer), parser: parser)
    }

    private init(cursor: JSONCursor, record: [UInt8]) {
        self.cursor = cursor
        self.record = record
    }

    // MARK: The event's objects

    private static let rootNames = MemberNames([
        "schema_version", "event_type", "order_id", "occurred_at", "currency", "value", "store_id", "items",
        "customer", "context", "consent",
    ])

    /// Members are read in a loop, not in a closure: the event's parts captured by a closure were
    /// copied out of it (a retain and release of every value). The event is returned, not an
    /// optional (built as an optional it was copied and destroyed once more), and the customer
    /// and context are read in place (returned, each was copied and the empty one destroyed).
    private mutating func document() throws(GiveUp) -> OrderEvent {
        var version: Int64?
        var isOrderCompleted = false
        var orderID: String?
        var occurredAt: Timestamp?
        var currency: String?
        var value: JSONNumber?
        var storeID: String?
        var items: [OrderEvent.Item] = []
        var customer = OrderEvent.Customer()
        var context = OrderEvent.Context()
        var consent = OrderEvent.Consent()
        cursor.skipWhitespace()
        var object: ObjectReading
        let start = cursor.index
        if try compactHead(
            version: &version, isOrderCompleted: &isOrderCompleted, orderID: &orderID, occurredAt: &occurredAt,
            currency: &currency, value: &value, storeID: &storeID)
        {
            // The member loop goes on after `store_id`, as if it had read the seven members.
            object = ObjectReading(depth: 1)
            object.seen = 0x7F
            object.expected = 7
            object.afterMember = true
            try compactTail(of: &object, items: &items, customer: &customer, context: &context, consent: &consent)
        } else {
            cursor.index = start
            (version, isOrderCompleted, orderID, occurredAt, currency, value, storeID) = (nil, false, nil, nil, nil, nil, nil)
            object = try openObject(depth: 1)
        }
        let names = Self.rootNames  // once, not once per member
        while let member = try nextMember(of: &object, names: names) {
            switch member {
            case 0: version = JSONNumber.integer(of: try numberValue())
            case 1: isOrderCompleted = try withStringBytes { $0.hasSameBytes(as: "order.completed") }
            case 2: orderID = try token(maximumLength: OrderEventDecoder.maximumOrderIDLength)
            case 3: occurredAt = try timestamp()
            case 4: currency = try withStringBytes(ISO4217.code)
            case 5: value = try number()
            case 6: storeID = try isNull() ? nil : try token(maximumLength: OrderEventDecoder.maximumStoreIDLength)
            case 7: items = try self.items(depth: 2)
            case 8: if !(try isNull()) { try self.customer(into: &customer) }
            case 9: if !(try isNull()) { try self.context(into: &context) }
            default: if !(try isNull()) { consent = try self.consent() }
            }
        }
        // Its end here, not after the event is built: released there, it had the customer and
        // context copied aside first and into the event after.
        _ = consume object
        cursor.skipWhitespace()
        guard cursor.index == cursor.bytes.count,
            version == 1,
            isOrderCompleted, let orderID, let occurredAt, let currency,
            let value, value.double >= 0
        else { throw GiveUp() }
        return OrderEvent(
            orderID: orderID, occurredAt: occurredAt, currency: currency, value: value, storeID: storeID,
            items: consume items, customer: consume customer, context: consume context, consent: consent)
    }

    private static let customerNames = MemberNames(OrderEvent.Customer.memberNames)

    /// The customer at the cursor into `customer`, which is empty: written compactly by
    /// ``compactCustomer(into:)``, any other spelling by the member loop.
    private mutating func customer(into customer: inout OrderEvent.Customer) throws(GiveUp) {
        let start = cursor.index
        if try compactCustomer(into: &customer) { return }
        cursor.index = start
        customer = OrderEvent.Customer()
        var object = try openObject(depth: 2)
        let names = Self.customerNames
        while let member = try nextMember(of: &object, names: names) {
            customer.setMember(member, to: try pii(maximumLength: OrderEventDecoder.maximumCustomerFieldLength))
        }
    }

    private static let contextNames = MemberNames(OrderEvent.Context.memberNames)

    /// The context at the cursor into `context`, which is empty, as ``customer(into:)`` reads the customer.
    private mutating func context(into context: inout OrderEvent.Context) throws(GiveUp) {
        let start = cursor.index
        if try compactContext(into: &context) { return }
        cursor.index = start
        context = OrderEvent.Context()
        var object = try openObject(depth: 2)
        let names = Self.contextNames
        while let member = try nextMember(of: &object, names: names) {
            context.setMember(member, to: try pii(maximumLength: OrderEventDecoder.maximumContextFieldLength))
        }
    }

    private static let consentNames = MemberNames(OrderEvent.Consent.memberNames)

    private mutating func consent() throws(GiveUp) -> OrderEvent.Consent {
        if let consent = try compactConsent(depth: 2) { return consent }
        var consent = OrderEvent.Consent()
        var object = try openObject(depth: 2)
        let names = Self.consentNames
        while let member = try nextMember(of: &object, names: names) {
            consent.setMember(member, to: try optionalBool())
        }
        return consent
    }

    /// Reads the consent at the cursor when it is written as producers write it: compactly, all
    /// four members in the contract's order, each value a literal right after its colon, each
    /// name and its punctuation matched by word compares instead of a member lookup. Any other
    /// spelling returns `nil` with the cursor back at the object's start, for the member loop.
    @inline(__always)
    private mutating func compactConsent(depth: Int) throws(GiveUp) -> OrderEvent.Consent? {
        let start = cursor.index
        guard depth <= cursor.maximumDepth, skip(#"{"marketing":"#), startsLiteral() else { return back(to: start) }
        var consent = OrderEvent.Consent()
        consent.marketing = try optionalBool()
        guard skip(#","ad_user_data":"#), startsLiteral() else { return back(to: start) }
        consent.adUserData = try optionalBool()
        guard skip(#","ad_personalization":"#), startsLiteral() else { return back(to: start) }
        consent.adPersonalization = try optionalBool()
        guard skip(#","limited_data_use":"#), startsLiteral() else { return back(to: start) }
        consent.limitedDataUse = try optionalBool()
        guard byte() == UInt8(ascii: "}") else { return back(to: start) }
        cursor.index += 1
        return consent
    }

    /// Whether the byte at the cursor starts `true`, `false` or `null` (not whitespace, which the
    /// member loop skips).
    @inline(__always)
    private func startsLiteral() -> Bool {
        switch byte() {
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): true
        default: false
        }
    }

    @inline(__always)
    private mutating func back(to index: Int) -> OrderEvent.Consent? {
        cursor.index = index
        return nil
    }

    /// Reads the event's first seven members (`schema_version` to `store_id`) when they are written
    /// as producers write them: compactly, in the contract's order, each value right after its
    /// colon; each name and its punctuation matched by word compares instead of a member lookup.
    /// `false` for any other spelling: the caller puts the cursor back and reads the whole object
    /// with the member loop. The values are read by the same code as the loop's.
    @inline(__always)
    private mutating func compactHead(
        version: inout Int64?, isOrderCompleted: inout Bool, orderID: inout String?, occurredAt: inout Timestamp?,
        currency: inout String?, value: inout JSONNumber?, storeID: inout String?
    ) throws(GiveUp) -> Bool {
        guard 1 <= cursor.maximumDepth, skip(#"{"schema_version":"#), valueFollows() else { return false }
        // The one version, `1` right before the comma, taken as it lies; any other number parsed.
        if cursor.index &+ 1 < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: "1"),
            cursor.bytes[cursor.index &+ 1] == UInt8(ascii: ",")
        {
            cursor.index &+= 1
            version = 1
        } else {
            version = JSONNumber.integer(of: try numberValue())
        }
        guard skip(#","event_type":"#), valueFollows() else { return false }
        // The one event type, as producers write it, compared as words; any other spelling
        // (another type, an escape) read as a string.
        isOrderCompleted = skip(#""order.completed""#) ? true : try withStringBytes { $0.hasSameBytes(as: "order.completed") }
        guard skip(#","order_id":"#), valueFollows() else { return false }
        orderID = try token(maximumLength: OrderEventDecoder.maximumOrderIDLength)
        guard skip(#","occurred_at":"#), valueFollows() else { return false }
        occurredAt = try timestamp()
        guard skip(#","currency":"#), valueFollows() else { return false }
        currency = try currencyCode()
        guard skip(#","value":"#), valueFollows() else { return false }
        value = try number()
        guard skip(#","store_id":"#), valueFollows() else { return false }
        storeID = try isNull() ? nil : try token(maximumLength: OrderEventDecoder.maximumStoreIDLength)
        return true
    }

    /// After the compact head, reads `items`, `customer`, `context` and `consent` while each comes
    /// next as producers write it (`,"name":`, matched by ``skipKey(_:separator:)``), marking each
    /// one seen in `object` as the member loop would; the loop goes on from whatever comes next
    /// (a member out of order, whitespace, the closing brace). The values are read by the same
    /// code as the loop's.
    @inline(__always)
    private mutating func compactTail(
        of object: inout ObjectReading, items: inout [OrderEvent.Item], customer: inout OrderEvent.Customer,
        context: inout OrderEvent.Context, consent: inout OrderEvent.Consent
    ) throws(GiveUp) {
        var separator = UInt8(ascii: ",")
        guard skipKey(#","items":"#, separator: &separator) else { return }
        cursor.skipWhitespace()
        items = try self.items(depth: 2)
        object.seen |= 1 << 7
        object.expected = 8
        guard skipKey(#","customer":"#, separator: &separator) else { return }
        cursor.skipWhitespace()
        if !(try isNull()) { try self.customer(into: &customer) }
        object.seen |= 1 << 8
        object.expected = 9
        guard skipKey(#","context":"#, separator: &separator) else { return }
        cursor.skipWhitespace()
        if !(try isNull()) { try self.context(into: &context) }
        object.seen |= 1 << 9
        object.expected = 10
        guard skipKey(#","consent":"#, separator: &separator) else { return }
        cursor.skipWhitespace()
        if !(try isNull()) { consent = try self.consent() }
        object.seen |= 1 << 10
        object.expected = 11
    }

    /// The currency at the cursor: a code written as three bytes between quotes looked up as
    /// they lie; anything else (not a code, escapes, another length) read as a string.
    @inline(__always)
    private mutating func currencyCode() throws(GiveUp) -> String? {
        let index = cursor.index
        let bytes = cursor.bytes
        if index + 5 <= bytes.count, bytes[index] == UInt8(ascii: "\""), bytes[index + 4] == UInt8(ascii: "\""),
            let code = ISO4217.code(UnsafeBufferPointer(rebasing: bytes[index + 1..<index + 4]))
        {
            cursor.index = index + 5
            return code
        }
        return try withStringBytes(ISO4217.code)
    }

    /// Whether a value starts at the cursor (not whitespace, which the member loop skips).
    @inline(__always)
    private func valueFollows() -> Bool {
        guard let byte = byte() else { return false }
        return byte > 0x20
    }
}
