extension DirectEventReader {
    // MARK: Items

    private static let itemNames = MemberNames(["sku", "name", "category", "brand", "quantity", "price"])

    mutating func items(depth: Int) throws(GiveUp) -> [OrderEvent.Item] {
        guard depth <= cursor.maximumDepth, byte() == UInt8(ascii: "[") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
        var items: [OrderEvent.Item] = []
        if byte() == UInt8(ascii: "]") {
            cursor.index += 1
            return items
        }
        items.reserveCapacity(4)
        let names = Self.itemNames  // once, not once per item
        while true {
            cursor.skipWhitespace()
            guard items.count < OrderEventDecoder.maximumItems else { throw GiveUp() }
            items.append(try item(depth: depth + 1, names: names))
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

    /// One item, its strings and price literal ranges of the record. A string written with
    /// escapes is resolved into an array of the item's own (`resolved`), which then holds all of
    /// its texts.
    private mutating func item(depth: Int, names: MemberNames) throws(GiveUp) -> OrderEvent.Item {
        var texts = ItemTexts()
        var quantity: Int64?
        var priceValue: Double?
        if try compactItem(depth: depth, into: &texts, quantity: &quantity, priceValue: &priceValue) {
            return try Self.item(texts, record: record, quantity: quantity, priceValue: priceValue)
        }
        texts = ItemTexts()
        quantity = nil
        priceValue = nil
        var object = try openObject(depth: depth)
        while let member = try nextMember(of: &object, names: names) {
            switch member {
            case 0: texts.sku = try itemString(into: &texts.resolved)
            case 1: texts.name = try isNull() ? .absent : try itemString(into: &texts.resolved)
            case 2: texts.category = try isNull() ? .absent : try itemString(into: &texts.resolved)
            case 3: texts.brand = try isNull() ? .absent : try itemString(into: &texts.resolved)
            case 4: quantity = JSONNumber.integer(of: try numberValue())
            default:
                let start = cursor.index
                priceValue = try numberValue()
                texts.price = ItemText(offset: start, count: cursor.index - start, plain: true)
            }
        }
        return try Self.item(texts, record: record, quantity: quantity, priceValue: priceValue)
    }

    /// The item read, when it has what the contract requires.
    @inline(__always)
    private static func item(_ texts: ItemTexts, record: [UInt8], quantity: Int64?, priceValue: Double?) throws(GiveUp)
        -> OrderEvent.Item
    {
        guard texts.sku.isPresent, texts.sku.count > 0,
            let quantity, quantity >= 1, quantity <= 1_000_000,
            let priceValue, priceValue >= 0, texts.price.isPresent
        else { throw GiveUp() }
        return texts.item(record: record, quantity: quantity, priceValue: priceValue)
    }

    /// Reads the item at the cursor when it is written as producers write it: compactly, all six
    /// members in the contract's order (`{"sku":…,"name":…,"category":…,"brand":…,"quantity":…,"price":…}`),
    /// each name and its punctuation matched by two word compares instead of a member lookup.
    /// Any other spelling returns `false` with the cursor back at the item's start, for the
    /// member loop to read. The values are read by the same code as the loop's.
    @inline(__always)
    private mutating func compactItem(
        depth: Int, into texts: inout ItemTexts, quantity: inout Int64?, priceValue: inout Double?
    ) throws(GiveUp) -> Bool {
        let start = cursor.index
        guard depth <= cursor.maximumDepth, skip(#"{"sku":"#) else { return false }
        texts.sku = try itemStringInLine(into: &texts.resolved)
        guard skip(#","name":"#) else { return back(to: start) }
        texts.name = try isNull() ? .absent : try itemStringInLine(into: &texts.resolved)
        guard skip(#","category":"#) else { return back(to: start) }
        texts.category = try isNull() ? .absent : try itemStringInLine(into: &texts.resolved)
        guard skip(#","brand":"#) else { return back(to: start) }
        texts.brand = try isNull() ? .absent : try itemStringInLine(into: &texts.resolved)
        guard skip(#","quantity":"#) else { return back(to: start) }
        quantity = try itemQuantity()
        guard skip(#","price":"#) else { return back(to: start) }
        let priceStart = cursor.index
        priceValue = try itemPrice()
        texts.price = ItemText(offset: priceStart, count: cursor.index - priceStart, plain: true)
        guard byte() == UInt8(ascii: "}") else { return back(to: start) }
        cursor.index += 1
        return true
    }

    /// A quantity: written as most are (1 to 7 digits, no leading zero, then a comma), read
    /// digit by digit; any other number as the member loop reads it.
    @inline(__always)
    private mutating func itemQuantity() throws(GiveUp) -> Int64? {
        let bytes = cursor.bytes
        let start = cursor.index
        var value: UInt64 = 0
        let index = Self.digits(bytes, from: start, atMost: 7, into: &value)
        if index > start, bytes[start] != UInt8(ascii: "0"), index < bytes.count, bytes[index] == UInt8(ascii: ",") {
            cursor.index = index
            return Int64(value)
        }
        return JSONNumber.integer(of: try numberValue())
    }

    /// A price: written as most are (an integer without a leading zero, at most 13 digits, and
    /// at most two decimals, then the item's closing brace), its value computed as
    /// `JSONCursor.parseNumberValue` computes it (the digits as an integer over 10 or 100, one
    /// correctly rounded division); any other number as the member loop reads it.
    @inline(__always)
    private mutating func itemPrice() throws(GiveUp) -> Double {
        let bytes = cursor.bytes
        let start = cursor.index
        var digits: UInt64 = 0
        var index = Self.digits(bytes, from: start, atMost: 13, into: &digits)
        let integerDigits = index - start
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            let fractionEnd = Self.digits(bytes, from: index + 1, atMost: 3, into: &digits)
            fractionDigits = fractionEnd - (index + 1)
            index = fractionEnd
            if fractionDigits == 0 { fractionDigits = 3 }  // a point without digits: not this path
        }
        guard integerDigits > 0, integerDigits == 1 || bytes[start] != UInt8(ascii: "0"), fractionDigits <= 2,
            index < bytes.count, bytes[index] == UInt8(ascii: "}")
        else { return try numberValue() }
        cursor.index = index
        let value = Double(digits)
        return fractionDigits == 0 ? value : value / (fractionDigits == 1 ? 10 : 100)
    }

    /// Reads at most `limit` ASCII digits of `bytes` from `start` on, each appended to `value`
    /// as its next decimal place; returns the index of the first byte not read.
    @inline(__always)
    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, atMost limit: Int, into value: inout UInt64) -> Int {
        var index = start
        while index < bytes.count, index - start < limit, bytes[index] &- UInt8(ascii: "0") < 10 {
            value = value &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
            index += 1
        }
        return index
    }

    @inline(__always)
    private mutating func back(to index: Int) -> Bool {
        cursor.index = index
        return false
    }

    /// Moves past `literal` (4 to 24 bytes) when it comes next, compared as two overlapping words
    /// (and the middle one past sixteen bytes).
    @inline(__always)
    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        assert(count >= 4 && count <= 24)
        let index = cursor.index
        guard index + count <= cursor.bytes.count, let base = cursor.bytes.baseAddress else { return false }
        let here = UnsafeRawPointer(base + index)
        let spelled = UnsafeRawPointer(literal.utf8Start)
        let matches: Bool
        if count >= 8 {
            matches =
                here.loadUnaligned(as: UInt64.self) == spelled.loadUnaligned(as: UInt64.self)
                && here.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == spelled.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                && (count <= 16
                    || here.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                        == spelled.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        } else {
            matches =
                here.loadUnaligned(as: UInt32.self) == spelled.loadUnaligned(as: UInt32.self)
                && here.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
                    == spelled.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        }
        guard matches else { return false }
        cursor.index = index + count
        return true
    }

    /// A string of at most 256 characters (Unicode scalars), the items' rule: its range in the
    /// record, or, written with escapes, resolved and appended to `resolved` (a range past the
    /// record's end: ``ItemTexts/item(record:quantity:priceValue:)`` moves it).
    private mutating func itemString(into resolved: inout [UInt8]) throws(GiveUp) -> ItemText {
        try itemStringInLine(into: &resolved)
    }

    /// ``itemString(into:)``'s usual spelling (ASCII without escapes), for the compact item;
    /// anything else by ``itemStringInGeneral(into:)``, out of line, so this reading stays small.
    /// Transparent, as `pii` is: with `@inline(__always)` the optimizer kept it one call for the
    /// compact item's four strings.
    @_transparent
    private mutating func itemStringInLine(into resolved: inout [UInt8]) throws(GiveUp) -> ItemText {
        // ASCII without escapes (nearly every item string), where one byte is one character.
        if let string = unescapedString(maximumLength: 256), string.isASCII {
            cursor.index = string.end + 1
            return ItemText(offset: string.start, count: string.end - string.start, plain: true)
        }
        return try itemStringInGeneral(into: &resolved)
    }

    /// ``itemString(into:)`` of any spelling, from the value's start.
    @inline(never)
    private mutating func itemStringInGeneral(into resolved: inout [UInt8]) throws(GiveUp) -> ItemText {
        let value = try stringBytes()
        guard Self.isWithinLength(value.bytes, maximumLength: 256) else { throw GiveUp() }
        if value.recordOffset >= 0 {
            // Scanned in place: the scan stopped only at the closing quote, so nothing in it is a
            // `"`, a `\` or a control character.
            return ItemText(offset: value.recordOffset, count: value.bytes.count, plain: true)
        }
        let offset = record.count + resolved.count
        resolved.append(contentsOf: value.bytes)
        return ItemText(offset: offset, count: value.bytes.count, plain: JSONWriter.needsNoEscaping(value.bytes))
    }
}

/// An item's texts while it is read.
private struct ItemTexts {
    var sku = ItemText.absent
    var name = ItemText.absent
    var category = ItemText.absent
    var brand = ItemText.absent
    var price = ItemText.absent
    /// Resolved values (written with escapes), at offsets from the record's end.
    var resolved: [UInt8] = []

    /// The item: its texts ranges of `record`, or, when a value had escapes, all of them copied
    /// into an array of the item's own.
    func item(record: [UInt8], quantity: Int64, priceValue: Double) -> OrderEvent.Item {
        guard !resolved.isEmpty else {
            return OrderEvent.Item(
                bytes: record, sku: sku, name: name, category: category, brand: brand, quantity: quantity, price: price,
                priceValue: priceValue)
        }
        var bytes: [UInt8] = []
        func moved(_ text: ItemText) -> ItemText {
            guard text.isPresent else { return .absent }
            let offset = bytes.count
            if text.offset >= record.count {
                let start = text.offset - record.count
                bytes.append(contentsOf: resolved[start..<start + text.count])
            } else {
                bytes.append(contentsOf: record[text.offset..<text.offset + text.count])
            }
            return ItemText(offset: offset, count: text.count, plain: text.isPlain)
        }
        let sku = moved(sku)
        let name = moved(name)
        let category = moved(category)
        let brand = moved(brand)
        let price = moved(price)
        return OrderEvent.Item(
            bytes: bytes, sku: sku, name: name, category: category, brand: brand, quantity: quantity, price: price,
            priceValue: priceValue)
    }
}
