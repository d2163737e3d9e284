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
struct DirectEventReader {
    private var cursor: JSONCursor

    /// Thrown inside the reader only: "decode this one through the tree".
    private struct GiveUp: Error {}

    /// The event in `buffer`, or nil when the tree path must decide (the event may still be valid).
    static func read(_ buffer: UnsafeBufferPointer<UInt8>, parser: JSONParser) -> OrderEvent? {
        guard buffer.count <= parser.maximumBytes else { return nil }
        var reader = DirectEventReader(cursor: JSONCursor(bytes: buffer, maximumDepth: parser.maximumDepth))
        do {
            return try reader.document()
        } catch {
            return nil
        }
    }

    private init(cursor: JSONCursor) {
        self.cursor = cursor
    }

    // MARK: The event's objects

    private static let rootNames = MemberNames([
        "schema_version", "event_type", "order_id", "occurred_at", "currency", "value", "store_id", "items",
        "customer", "context", "consent",
    ])

    private mutating func document() throws(GiveUp) -> OrderEvent {
        var version: JSONNumber?
        var eventType: String?
        var orderID: String?
        var occurredText: String?
        var currency: String?
        var value: JSONNumber?
        var storeID: String?
        var items: [OrderEvent.Item] = []
        var customer = OrderEvent.Customer()
        var context = OrderEvent.Context()
        var consent = OrderEvent.Consent()
        cursor.skipWhitespace()
        try object(depth: 1, names: Self.rootNames) { reader, member throws(GiveUp) in
            switch member {
            case 0: version = try reader.number()
            case 1: eventType = try reader.string()
            case 2: orderID = try reader.string()
            case 3: occurredText = try reader.string()
            case 4: currency = try reader.string()
            case 5: value = try reader.number()
            case 6: storeID = try reader.isNull() ? nil : try reader.string()
            case 7: items = try reader.items(depth: 2)
            case 8: if !(try reader.isNull()) { customer = try reader.customer() }
            case 9: if !(try reader.isNull()) { context = try reader.context() }
            default: if !(try reader.isNull()) { consent = try reader.consent() }
            }
        }
        cursor.skipWhitespace()
        guard cursor.index == cursor.bytes.count,
            let version, version.integer == 1,
            eventType == "order.completed",
            let orderID, OrderEventDecoder.isToken(orderID, maximumLength: OrderEventDecoder.maximumOrderIDLength),
            let occurredText, let occurredAt = RFC3339.parse(occurredText),
            let currency, ISO4217.codes.contains(currency),
            let value, value.double >= 0
        else { throw GiveUp() }
        if let storeID {
            guard OrderEventDecoder.isToken(storeID, maximumLength: OrderEventDecoder.maximumStoreIDLength) else {
                throw GiveUp()
            }
        }
        return OrderEvent(
            orderID: orderID, occurredAt: occurredAt, currency: currency, value: value, storeID: storeID,
            items: consume items, customer: consume customer, context: consume context, consent: consent)
    }

    private static let itemNames = MemberNames(["sku", "name", "category", "brand", "quantity", "price"])

    private mutating func items(depth: Int) throws(GiveUp) -> [OrderEvent.Item] {
        guard depth <= cursor.maximumDepth, byte() == UInt8(ascii: "[") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
        var items: [OrderEvent.Item] = []
        if byte() == UInt8(ascii: "]") {
            cursor.index += 1
            return items
        }
        items.reserveCapacity(4)
        while true {
            cursor.skipWhitespace()
            guard items.count < OrderEventDecoder.maximumItems else { throw GiveUp() }
            items.append(try item(depth: depth + 1))
            cursor.skipWhitespace()
            switch byte() {
            case UInt8(ascii: ","): cursor.index += 1
            case UInt8(ascii: "]"):
                cursor.index += 1
                return items
            default: throw GiveUp()
            }
        }
    }

    private mutating func item(depth: Int) throws(GiveUp) -> OrderEvent.Item {
        var sku: String?
        var name: String?
        var category: String?
        var brand: String?
        var quantity: JSONNumber?
        var price: JSONNumber?
        try object(depth: depth, names: Self.itemNames) { reader, member throws(GiveUp) in
            switch member {
            case 0: sku = try reader.string()
            case 1: name = try reader.optionalString(maximumLength: 256)
            case 2: category = try reader.optionalString(maximumLength: 256)
            case 3: brand = try reader.optionalString(maximumLength: 256)
            case 4: quantity = try reader.number()
            default: price = try reader.number()
            }
        }
        guard let sku, !sku.isEmpty, OrderEventDecoder.isWithinLength(sku, maximumLength: 256),
            let quantity = quantity?.integer, quantity >= 1, quantity <= 1_000_000,
            let price, price.double >= 0
        else { throw GiveUp() }
        return OrderEvent.Item(sku: sku, name: name, category: category, brand: brand, quantity: quantity, price: price)
    }

    private static let customerNames = MemberNames(OrderEvent.Customer.memberNames)

    private mutating func customer() throws(GiveUp) -> OrderEvent.Customer {
        var customer = OrderEvent.Customer()
        try object(depth: 2, names: Self.customerNames) { reader, member throws(GiveUp) in
            customer.setMember(member, to: try reader.pii(maximumLength: OrderEventDecoder.maximumCustomerFieldLength))
        }
        return customer
    }

    private static let contextNames = MemberNames(OrderEvent.Context.memberNames)

    private mutating func context() throws(GiveUp) -> OrderEvent.Context {
        var context = OrderEvent.Context()
        try object(depth: 2, names: Self.contextNames) { reader, member throws(GiveUp) in
            context.setMember(member, to: try reader.pii(maximumLength: OrderEventDecoder.maximumContextFieldLength))
        }
        return context
    }

    private static let consentNames = MemberNames(OrderEvent.Consent.memberNames)

    private mutating func consent() throws(GiveUp) -> OrderEvent.Consent {
        var consent = OrderEvent.Consent()
        try object(depth: 2, names: Self.consentNames) { reader, member throws(GiveUp) in
            consent.setMember(member, to: try reader.optionalBool())
        }
        return consent
    }

    // MARK: JSON

    /// Reads one object at nesting `depth`. `read` gets the index in `names` of each known member,
    /// with the cursor at its value, and must read the value. Unknown members are read (so
    /// validated, as the tree parser would) and ignored. Gives up on a duplicate name, and on a
    /// name with an escape or a byte outside printable ASCII.
    private mutating func object(
        depth: Int, names: MemberNames, _ read: (inout DirectEventReader, Int) throws(GiveUp) -> Void
    ) throws(GiveUp) {
        guard depth <= cursor.maximumDepth, byte() == UInt8(ascii: "{") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
        if byte() == UInt8(ascii: "}") {
            cursor.index += 1
            return
        }
        var seen: UInt64 = 0
        var unknownNames: [Range<Int>] = []  // allocates only if an event carries unknown members
        // Producers write members in one order, mostly the contract's: the name after the last
        // one read is tried first.
        var expected = 0
        while true {
            cursor.skipWhitespace()
            guard byte() == UInt8(ascii: "\"") else { throw GiveUp() }
            if let member = names.member(startingAt: cursor.index + 1, in: cursor.bytes, tryingFirst: expected) {
                guard seen & (1 << member) == 0 else { throw GiveUp() }
                seen |= 1 << member
                expected = member + 1
                cursor.index += names.length(of: member) + 2
                try colon()
                try read(&self, member)
            } else {
                let name = try unknownName()
                let bytes = cursor.bytes
                guard !unknownNames.contains(where: { bytes[$0].elementsEqual(bytes[name]) }) else { throw GiveUp() }
                unknownNames.append(name)
                try colon()
                do {
                    _ = try cursor.parseValue(depth: depth)
                } catch {
                    throw GiveUp()
                }
            }
            cursor.skipWhitespace()
            switch byte() {
            case UInt8(ascii: ","): cursor.index += 1
            case UInt8(ascii: "}"):
                cursor.index += 1
                return
            default: throw GiveUp()
            }
        }
    }

    /// The byte range of a name the contract does not know, made of printable ASCII without escapes.
    private mutating func unknownName() throws(GiveUp) -> Range<Int> {
        let start = cursor.index + 1
        var end = start
        while end < cursor.bytes.count {
            let byte = cursor.bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { throw GiveUp() }
            end += 1
        }
        guard end < cursor.bytes.count else { throw GiveUp() }
        cursor.index = end + 1
        return start..<end
    }

    /// The `:` between a member's name and its value, with the whitespace around it.
    private mutating func colon() throws(GiveUp) {
        cursor.skipWhitespace()
        guard byte() == UInt8(ascii: ":") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
    }

    private func byte() -> UInt8? {
        cursor.index < cursor.bytes.count ? cursor.bytes[cursor.index] : nil
    }

    private mutating func isNull() throws(GiveUp) -> Bool {
        guard byte() == UInt8(ascii: "n") else { return false }
        do {
            try cursor.expect("null")
        } catch {
            throw GiveUp()
        }
        return true
    }

    private mutating func string() throws(GiveUp) -> String {
        guard byte() == UInt8(ascii: "\"") else { throw GiveUp() }
        do {
            return try cursor.parseString()
        } catch {
            throw GiveUp()
        }
    }

    private mutating func number() throws(GiveUp) -> JSONNumber {
        guard let first = byte(), first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { throw GiveUp() }
        do {
            return try cursor.parseNumber()
        } catch {
            throw GiveUp()
        }
    }

    /// A string or `null`, at most `maximumLength` characters (Unicode scalars), as the decoder's rule.
    private mutating func optionalString(maximumLength: Int) throws(GiveUp) -> String? {
        if try isNull() { return nil }
        let text = try string()
        guard OrderEventDecoder.isWithinLength(text, maximumLength: maximumLength) else { throw GiveUp() }
        return text
    }

    private mutating func pii(maximumLength: Int) throws(GiveUp) -> RawPII? {
        try optionalString(maximumLength: maximumLength).map(RawPII.init)
    }

    private mutating func optionalBool() throws(GiveUp) -> Bool? {
        do {
            switch byte() {
            case UInt8(ascii: "n"):
                try cursor.expect("null")
                return nil
            case UInt8(ascii: "t"):
                try cursor.expect("true")
                return true
            case UInt8(ascii: "f"):
                try cursor.expect("false")
                return false
            default: throw GiveUp()
            }
        } catch {
            throw GiveUp()
        }
    }
}

/// The member names an object of the event contract knows, matched against a document's bytes a
/// word at a time.
private struct MemberNames {
    private struct Name {
        let spelled: StaticString
        let length: Int
        /// The first eight bytes (fewer for a shorter name), little-endian, zero-padded.
        let head: UInt64
        /// The last eight bytes, for a name longer than eight.
        let tail: UInt64
    }

    private let names: [Name]

    init(_ names: [StaticString]) {
        precondition(names.count <= 64, "one bit per name in a UInt64")
        self.names = names.map { spelled in
            let bytes = UnsafeBufferPointer(start: spelled.utf8Start, count: spelled.utf8CodeUnitCount)
            func word(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64 {
                slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
            }
            precondition(bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C })
            return Name(
                spelled: spelled, length: bytes.count, head: word(bytes.prefix(8)),
                tail: bytes.count > 8 ? word(bytes.suffix(8)) : 0)
        }
    }

    func length(of member: Int) -> Int { names[member].length }

    /// The index of the name whose bytes, followed by the closing quote, start at `start`; nil for
    /// a name the contract does not know (or one spelled with escapes, which the caller refuses).
    /// `tryingFirst` is the likeliest index.
    func member(startingAt start: Int, in bytes: UnsafeBufferPointer<UInt8>, tryingFirst likeliest: Int) -> Int? {
        names.withUnsafeBufferPointer { names in
            if likeliest < names.count, Self.matches(names[likeliest], at: start, in: bytes) { return likeliest }
            return names.indices.first { Self.matches(names[$0], at: start, in: bytes) }
        }
    }

    @inline(__always)
    private static func matches(_ name: Name, at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = name.length
        guard start + length < bytes.count, bytes[start + length] == UInt8(ascii: "\"") else { return false }
        guard start + 8 <= bytes.count, let base = bytes.baseAddress else {
            return (0..<length).allSatisfy { bytes[start + $0] == name.spelled.utf8Start[$0] }
        }
        let raw = UnsafeRawPointer(base)
        let head = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self)
        guard length > 8 else {
            let mask: UInt64 = length == 8 ? ~0 : (1 << (8 * UInt64(length))) - 1
            return head & mask == name.head
        }
        // A name longer than eight bytes ends at start + length - 1 < bytes.count, so both loads are in bounds.
        guard head == name.head, raw.loadUnaligned(fromByteOffset: start + length - 8, as: UInt64.self) == name.tail
        else { return false }
        return length <= 16 || (8..<length - 8).allSatisfy { bytes[start + $0] == name.spelled.utf8Start[$0] }
    }
}
