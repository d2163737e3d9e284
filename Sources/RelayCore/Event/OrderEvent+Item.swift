extension OrderEvent {
    /// One line item.
    ///
    /// Its strings and its price's literal are byte ranges of one array: the decoded record
    /// (read in place: no `String` per value, and copying an item retains one array, not one
    /// string per field), or an array of the item's own when it is built in code or a value had
    /// escapes. Each range says whether its bytes go into a JSON string as they are, known from
    /// the scan that found them, so the encoders copy them without checking (``JSONWriter/itemStringContents(_:_:)``).
    public struct Item: Sendable {
        /// The bytes the ranges below are ranges of.
        @usableFromInline let bytes: [UInt8]
        @usableFromInline var skuText: ItemText
        @usableFromInline var nameText: ItemText
        @usableFromInline var categoryText: ItemText
        @usableFromInline var brandText: ItemText
        /// The price's literal exactly as written (a JSON number: nothing to escape).
        @usableFromInline var priceText: ItemText
        public var quantity: Int64
        @usableFromInline var priceValue: Double

        public init(
            sku: String, name: String? = nil, category: String? = nil, brand: String? = nil, quantity: Int64,
            price: JSONNumber
        ) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(
                sku.utf8.count + (name?.utf8.count ?? 0) + (category?.utf8.count ?? 0) + (brand?.utf8.count ?? 0)
                    + price.literal.utf8.count)
            self.skuText = ItemText(appending: sku, to: &bytes)
            self.nameText = ItemText(appending: name, to: &bytes)
            self.categoryText = ItemText(appending: category, to: &bytes)
            self.brandText = ItemText(appending: brand, to: &bytes)
            self.priceText = ItemText(appending: price.literal, to: &bytes)
            self.bytes = bytes
            self.quantity = quantity
            self.priceValue = price.double
        }

        /// An item whose texts are ranges of `bytes` (a decoded record or the item's own array).
        init(
            bytes: [UInt8], sku: ItemText, name: ItemText, category: ItemText, brand: ItemText, quantity: Int64,
            price: ItemText, priceValue: Double
        ) {
            self.bytes = bytes
            self.skuText = sku
            self.nameText = name
            self.categoryText = category
            self.brandText = brand
            self.priceText = price
            self.quantity = quantity
            self.priceValue = priceValue
        }

        public var sku: String {
            get { string(skuText)! }
            set { self = replacing(\.sku, with: newValue) }
        }

        public var name: String? {
            get { string(nameText) }
            set { self = replacing(\.name, with: newValue) }
        }

        public var category: String? {
            get { string(categoryText) }
            set { self = replacing(\.category, with: newValue) }
        }

        public var brand: String? {
            get { string(brandText) }
            set { self = replacing(\.brand, with: newValue) }
        }

        public var price: JSONNumber {
            get { JSONNumber(literal: string(priceText)!, double: priceValue) }
            set { self = replacing(\.price, with: newValue) }
        }

        /// Calls `body` with `text`'s bytes and whether they need no escaping; `nil` when absent.
        @inlinable @inline(__always)
        func withUTF8<Result>(_ text: ItemText, _ body: (UnsafeBufferPointer<UInt8>, _ plain: Bool) -> Result) -> Result? {
            guard text.isPresent else { return nil }
            return bytes.withUnsafeBufferPointer { all in
                // An empty array (an item built in code with only empty texts) may have no base.
                body(UnsafeBufferPointer(start: all.baseAddress.map { $0 + text.offset }, count: text.count), text.isPlain)
            }
        }

        private func string(_ text: ItemText) -> String? {
            withUTF8(text) { bytes, _ in String(decoding: bytes, as: UTF8.self) }
        }

        /// This item with one member changed (the public setters: rebuilt from its values).
        private func replacing<Value>(_ member: WritableKeyPath<Fields, Value>, with value: Value) -> Item {
            var fields = Fields(sku: sku, name: name, category: category, brand: brand, price: price)
            fields[keyPath: member] = value
            return Item(
                sku: fields.sku, name: fields.name, category: fields.category, brand: fields.brand, quantity: quantity,
                price: fields.price)
        }

        private struct Fields {
            var sku: String
            var name: String?
            var category: String?
            var brand: String?
            var price: JSONNumber
        }
    }
}

/// Where one of an item's strings is in its array, whether it is there at all, and whether it
/// needs no escaping in a JSON string (no `"`, `\` or control character).
@usableFromInline
struct ItemText: Sendable {
    /// Start (low 32 bits); count (bits 32–61); plain (bit 62); present (bit 63).
    @usableFromInline let bits: UInt64

    static let absent = ItemText(bits: 0)

    @usableFromInline init(bits: UInt64) { self.bits = bits }

    init(offset: Int, count: Int, plain: Bool) {
        self.bits =
            UInt64(truncatingIfNeeded: offset) | UInt64(truncatingIfNeeded: count) << 32 | (plain ? 1 << 62 : 0) | 1 << 63
    }

    /// `text`'s bytes appended to `bytes`, checked for escaping; ``absent`` for `nil`.
    init(appending text: String?, to bytes: inout [UInt8]) {
        guard let text else {
            self = .absent
            return
        }
        let offset = bytes.count
        bytes.append(contentsOf: text.utf8)
        let plain = bytes.withUnsafeBufferPointer { JSONWriter.needsNoEscaping(UnsafeBufferPointer(rebasing: $0[offset...])) }
        self.init(offset: offset, count: bytes.count - offset, plain: plain)
    }

    @inlinable var isPresent: Bool { bits >> 63 != 0 }
    @inlinable var isPlain: Bool { bits & (1 << 62) != 0 }
    @inlinable var offset: Int { Int(truncatingIfNeeded: bits & 0xFFFF_FFFF) }
    @inlinable var count: Int { Int(truncatingIfNeeded: (bits >> 32) & 0x3FFF_FFFF) }
}

/// Equal when every member's bytes are (not `String`'s canonical equivalence, as ``RawPII``), the
/// quantity and the price's value are.
extension OrderEvent.Item: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.quantity == rhs.quantity && lhs.priceValue == rhs.priceValue
            && sameBytes(lhs, lhs.skuText, rhs, rhs.skuText) && sameBytes(lhs, lhs.nameText, rhs, rhs.nameText)
            && sameBytes(lhs, lhs.categoryText, rhs, rhs.categoryText)
            && sameBytes(lhs, lhs.brandText, rhs, rhs.brandText) && sameBytes(lhs, lhs.priceText, rhs, rhs.priceText)
    }

    private static func sameBytes(_ lhs: Self, _ left: ItemText, _ rhs: Self, _ right: ItemText) -> Bool {
        guard left.isPresent == right.isPresent else { return false }
        return lhs.withUTF8(left) { leftBytes, _ in
            rhs.withUTF8(right) { rightBytes, _ in leftBytes.hasSameBytes(as: rightBytes) } ?? false
        } ?? true
    }
}

/// Shows its members as a memberwise struct would, never `bytes` (a decoded item's are the whole
/// record, personal values and all).
extension OrderEvent.Item: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "Item(sku: \(String(reflecting: sku)), name: \(String(describing: name)), category: \(String(describing: category)), brand: \(String(describing: brand)), quantity: \(quantity), price: \(price.literal))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "sku": sku, "name": name as Any, "category": category as Any, "brand": brand as Any, "quantity": quantity,
                "price": price,
            ], displayStyle: .struct)
    }
}
