// An item's strings written from their bytes in the item's array: copied as they are when the
// decoder (or the item's initialiser) found nothing to escape in them, escaped otherwise. The
// encoders call these once per item string per platform, so they are inlined into them.
extension JSONWriter {
    /// Which of an item's strings to write.
    public enum ItemString: Sendable {
        case sku, name, category, brand
    }

    /// Appends the item's SKU as a JSON string's contents, without the quotes.
    @inlinable @inline(__always)
    public mutating func itemSKUContents(_ item: OrderEvent.Item) {
        itemTextContents(item, item.skuText)
    }

    /// Writes `member` (`,"brand":"`, ending with the opening quote), the item's `string` as a
    /// JSON string's contents and the closing quote, when the item has that string.
    @inlinable @inline(__always)
    public mutating func optionalItemStringMember(_ member: StaticString, _ item: OrderEvent.Item, _ string: ItemString) {
        let text: ItemText
        switch string {
        case .sku: text = item.skuText
        case .name: text = item.nameText
        case .category: text = item.categoryText
        case .brand: text = item.brandText
        }
        guard text.isPresent else { return }
        fragment(member)
        itemTextContents(item, text)
        fragment("\"")
    }

    /// Appends the item's price as its literal was written (a JSON number).
    @inlinable @inline(__always)
    public mutating func itemPriceLiteral(_ item: OrderEvent.Item) {
        itemTextContents(item, item.priceText)
    }

    /// Appends a quantity's decimal digits (an item's, or the items' total): one digit, as most
    /// are, stored in line; others by ``integerLiteral(_:)``.
    @inlinable @inline(__always)
    public mutating func quantityLiteral(_ quantity: Int64) {
        guard quantity >= 0, quantity < 10 else { return integerLiteral(quantity) }
        reserve(1)
        storage[written] = UInt8(truncatingIfNeeded: quantity) &+ UInt8(ascii: "0")
        written &+= 1
    }

    @inlinable @inline(__always)
    mutating func itemTextContents(_ item: OrderEvent.Item, _ text: ItemText) {
        _ = item.withUTF8(text) { bytes, plain in
            if !plain {
                stringContents(utf8: bytes)
            } else if let base = bytes.baseAddress {
                append(base, count: bytes.count)
            }
        }
    }
}
