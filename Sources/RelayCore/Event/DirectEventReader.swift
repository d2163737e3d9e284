#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
/// The record is copied once into an ``EventText``, and the event's personal values and its
/// timestamp's text are byte ranges of that copy (values with escapes are resolved into its side
/// area): no `String` per value, and a UTF-8 check only of the values with a non-ASCII byte.
struct DirectEventReader {
    private var cursor: JSONCursor
    /// The record's bytes (what `cursor` reads) and the side area for resolved escapes.
    private let text: EventText

    /// Thrown inside the reader only: "decode this one through the tree".
    private struct GiveUp: Error {}

    /// The event in `buffer`, or nil when the tree path must decide (the event may still be valid).
    static func read(_ buffer: UnsafeBufferPointer<UInt8>, parser: JSONParser) -> OrderEvent? {
        guard buffer.count <= parser.maximumBytes, let base = buffer.baseAddress else { return nil }
        // A resolved escape is never longer than it was written, so a side area as large as the
        // record holds every value's; most records have no backslash and need none.
        let hasBackslash = memchr(base, Int32(UInt8(ascii: "\\")), buffer.count) != nil
        let text = EventText.copying(buffer, sideCapacity: hasBackslash ? buffer.count : 0)
        var reader = DirectEventReader(
            cursor: JSONCursor(bytes: text.prefix(buffer.count), maximumDepth: parser.maximumDepth), text: text)
        return reader.document()
    }

    private init(cursor: JSONCursor, text: EventText) {
        self.cursor = cursor
        self.text = text
    }

    // MARK: The event's objects

    private static let rootNames = MemberNames([
        "schema_version", "event_type", "order_id", "occurred_at", "currency", "value", "store_id", "items",
        "customer", "context", "consent",
    ])

    /// Members are read in a loop, not in a closure: the event's parts captured by a closure were
    /// copied out of it (a retain and release of every value).
    private mutating func document() -> OrderEvent? {
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
        do {
            var object = try openObject(depth: 1)
            while let member = try nextMember(of: &object, names: Self.rootNames) {
                switch member {
                case 0: version = JSONNumber.integer(of: try numberValue())
                case 1: isOrderCompleted = try withStringBytes { $0.hasSameBytes(as: "order.completed") }
                case 2: orderID = try token(maximumLength: OrderEventDecoder.maximumOrderIDLength)
                case 3: occurredAt = try timestamp()
                case 4: currency = try withStringBytes(ISO4217.code)
                case 5: value = try number()
                case 6: storeID = try isNull() ? nil : try token(maximumLength: OrderEventDecoder.maximumStoreIDLength)
                case 7: items = try self.items(depth: 2)
                case 8: if !(try isNull()) { customer = try self.customer() }
                case 9: if !(try isNull()) { context = try self.context() }
                default: if !(try isNull()) { consent = try self.consent() }
                }
            }
        } catch {
            return nil
        }
        cursor.skipWhitespace()
        guard cursor.index == cursor.bytes.count,
            version == 1,
            isOrderCompleted, let orderID, let occurredAt, let currency,
            let value, value.double >= 0
        else { return nil }
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
        var quantity: Int64?
        var price: JSONNumber?
        var object = try openObject(depth: depth)
        while let member = try nextMember(of: &object, names: Self.itemNames) {
            switch member {
            case 0: sku = try string(maximumLength: 256)
            case 1: name = try optionalString(maximumLength: 256)
            case 2: category = try optionalString(maximumLength: 256)
            case 3: brand = try optionalString(maximumLength: 256)
            case 4: quantity = JSONNumber.integer(of: try numberValue())
            default: price = try number()
            }
        }
        guard let sku, !sku.isEmpty,
            let quantity, quantity >= 1, quantity <= 1_000_000,
            let price, price.double >= 0
        else { throw GiveUp() }
        return OrderEvent.Item(sku: sku, name: name, category: category, brand: brand, quantity: quantity, price: price)
    }

    private static let customerNames = MemberNames(OrderEvent.Customer.memberNames)

    private mutating func customer() throws(GiveUp) -> OrderEvent.Customer {
        var customer = OrderEvent.Customer()
        var object = try openObject(depth: 2)
        while let member = try nextMember(of: &object, names: Self.customerNames) {
            customer.setMember(member, to: try pii(maximumLength: OrderEventDecoder.maximumCustomerFieldLength))
        }
        return customer
    }

    private static let contextNames = MemberNames(OrderEvent.Context.memberNames)

    private mutating func context() throws(GiveUp) -> OrderEvent.Context {
        var context = OrderEvent.Context()
        var object = try openObject(depth: 2)
        while let member = try nextMember(of: &object, names: Self.contextNames) {
            context.setMember(member, to: try pii(maximumLength: OrderEventDecoder.maximumContextFieldLength))
        }
        return context
    }

    private static let consentNames = MemberNames(OrderEvent.Consent.memberNames)

    private mutating func consent() throws(GiveUp) -> OrderEvent.Consent {
        var consent = OrderEvent.Consent()
        var object = try openObject(depth: 2)
        while let member = try nextMember(of: &object, names: Self.consentNames) {
            consent.setMember(member, to: try optionalBool())
        }
        return consent
    }

    // MARK: JSON

    /// Where the reading of one object stands.
    private struct ObjectReading {
        let depth: Int
        /// The known members read so far, one bit each (a duplicate makes the reader give up).
        var seen: UInt64 = 0
        /// The unknown members' names (allocates only if an event carries unknown members).
        var unknownNames: [Range<Int>] = []
        /// Producers write members in one order, mostly the contract's: the name after the last
        /// one read is tried first.
        var expected = 0
        /// A member was read, so a `,` or the closing `}` comes next.
        var afterMember = false
        var closed = false
    }

    /// Opens the object at the cursor, at nesting `depth`, for ``nextMember(of:names:)``.
    @inline(__always)
    private mutating func openObject(depth: Int) throws(GiveUp) -> ObjectReading {
        guard depth <= cursor.maximumDepth, byte() == UInt8(ascii: "{") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
        var object = ObjectReading(depth: depth)
        if byte() == UInt8(ascii: "}") {
            cursor.index += 1
            object.closed = true
        }
        return object
    }

    /// The index in `names` of the object's next known member, with the cursor at its value,
    /// which the caller must read; `nil` once the object is closed. Unknown members are read (so
    /// validated, as the tree parser would) and skipped. Gives up on a duplicate name, and on a
    /// name with an escape or a byte outside printable ASCII.
    @inline(__always)
    private mutating func nextMember(of object: inout ObjectReading, names: MemberNames) throws(GiveUp) -> Int? {
        while !object.closed {
            if object.afterMember {
                cursor.skipWhitespace()
                switch byte() {
                case UInt8(ascii: ","): cursor.index += 1
                case UInt8(ascii: "}"):
                    cursor.index += 1
                    object.closed = true
                    return nil
                default: throw GiveUp()
                }
            }
            object.afterMember = true
            cursor.skipWhitespace()
            guard byte() == UInt8(ascii: "\"") else { throw GiveUp() }
            if let member = names.member(startingAt: cursor.index + 1, in: cursor.bytes, tryingFirst: object.expected) {
                guard object.seen & (1 << member) == 0 else { throw GiveUp() }
                object.seen |= 1 << member
                object.expected = member + 1
                cursor.index += names.length(of: member) + 2
                try colon()
                return member
            }
            let name = try unknownName()
            let bytes = cursor.bytes
            guard !object.unknownNames.contains(where: { bytes[$0].elementsEqual(bytes[name]) }) else { throw GiveUp() }
            object.unknownNames.append(name)
            try colon()
            do {
                _ = try cursor.parseValue(depth: object.depth)
            } catch {
                throw GiveUp()
            }
        }
        return nil
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
    @inline(__always)
    private mutating func colon() throws(GiveUp) {
        cursor.skipWhitespace()
        guard byte() == UInt8(ascii: ":") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
    }

    @inline(__always)
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

    /// A string value's bytes in the event's text: in place when written without escapes,
    /// otherwise resolved into the side area. Gives up on anything but a string, and on content
    /// that is not UTF-8 (the tree path names the error).
    private mutating func stringRange() throws(GiveUp) -> (start: Int, count: Int) {
        guard byte() == UInt8(ascii: "\"") else { throw GiveUp() }
        let scanned: JSONCursor.ScannedString
        do {
            scanned = try cursor.scanString()
        } catch {
            throw GiveUp()
        }
        if !scanned.hasEscape {
            guard scanned.isASCII || JSONStringBytes.isValidUTF8(scanned.raw) else { throw GiveUp() }
            return (scanned.start, scanned.raw.count)
        }
        // A backslash was found, so the side area has room for the whole record.
        let free = text.freeSpace
        let count: Int
        do {
            count = try JSONCursor.unescape(scanned.raw, baseOffset: scanned.start, into: free.baseAddress!)
        } catch {
            throw GiveUp()
        }
        guard JSONStringBytes.isValidUTF8(UnsafeBufferPointer(start: free.baseAddress, count: count)) else {
            throw GiveUp()
        }
        let start = text.header
        text.header = start + count
        return (start, count)
    }

    /// Calls `body` with a string value's bytes (escapes resolved).
    private mutating func withStringBytes<Result>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(GiveUp) -> Result
    ) throws(GiveUp) -> Result {
        let range = try stringRange()
        return try body(text.bytes(at: range.start, count: range.count))
    }

    /// A string of at most `maximumLength` characters (Unicode scalars), as the decoder's rule.
    private mutating func string(maximumLength: Int) throws(GiveUp) -> String {
        try withStringBytes { bytes throws(GiveUp) in
            guard Self.isWithinLength(bytes, maximumLength: maximumLength) else { throw GiveUp() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// A string of 1...maximumLength printable ASCII characters without spaces (the ids' rule).
    private mutating func token(maximumLength: Int) throws(GiveUp) -> String {
        try withStringBytes { bytes throws(GiveUp) in
            guard OrderEventDecoder.isToken(bytes, maximumLength: maximumLength) else { throw GiveUp() }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// An RFC 3339 date-time, its text kept as a range of the event's text.
    private mutating func timestamp() throws(GiveUp) -> Timestamp {
        let range = try stringRange()
        guard let seconds = RFC3339.epochSeconds(text.bytes(at: range.start, count: range.count)) else { throw GiveUp() }
        return Timestamp(epochSeconds: seconds, text: StoredText(text, start: range.start, count: range.count))
    }

    /// At most `maximumLength` characters (Unicode scalars), as ``OrderEventDecoder/isWithinLength(_:maximumLength:)``
    /// counts them.
    private static func isWithinLength(_ bytes: UnsafeBufferPointer<UInt8>, maximumLength: Int) -> Bool {
        bytes.count <= maximumLength || JSONStringBytes.scalarCount(bytes) <= maximumLength
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

    /// A number's value, for the numbers whose literal is not kept (``number()`` keeps it).
    private mutating func numberValue() throws(GiveUp) -> Double {
        guard let first = byte(), first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { throw GiveUp() }
        do {
            return try cursor.parseNumberValue()
        } catch {
            throw GiveUp()
        }
    }

    /// A string or `null`, at most `maximumLength` characters (Unicode scalars), as the decoder's rule.
    private mutating func optionalString(maximumLength: Int) throws(GiveUp) -> String? {
        if try isNull() { return nil }
        return try string(maximumLength: maximumLength)
    }

    /// A personal value or `null`: a range of the event's text, no `String`.
    private mutating func pii(maximumLength: Int) throws(GiveUp) -> RawPII? {
        if try isNull() { return nil }
        let range = try stringRange()
        guard Self.isWithinLength(text.bytes(at: range.start, count: range.count), maximumLength: maximumLength) else {
            throw GiveUp()
        }
        return RawPII(text, start: range.start, count: range.count)
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
