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
        guard texts.sku.isPresent, texts.sku.count > 0,
            let quantity, quantity >= 1, quantity <= 1_000_000,
            let priceValue, priceValue >= 0, texts.price.isPresent
        else { throw GiveUp() }
        return texts.item(record: record, quantity: quantity, priceValue: priceValue)
    }

    /// A string of at most 256 characters (Unicode scalars), the items' rule: its range in the
    /// record, or, written with escapes, resolved and appended to `resolved` (a range past the
    /// record's end: ``ItemTexts/item(record:quantity:priceValue:)`` moves it).
    private mutating func itemString(into resolved: inout [UInt8]) throws(GiveUp) -> ItemText {
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
