import RelayCore

/// Which strings of one item go into a JSON string as they are (``PreparedEvent/plainItemStrings(_:)``).
struct PlainItemStrings: OptionSet {
    let rawValue: UInt64
    static let sku = PlainItemStrings(rawValue: 1)
    static let name = PlainItemStrings(rawValue: 2)
    static let category = PlainItemStrings(rawValue: 4)
    static let brand = PlainItemStrings(rawValue: 8)

    /// Items whose strings are checked: 4 bits each below bit 60 of `itemStringStates`.
    static let checkedItems = 15
}

extension PreparedEvent {
    /// Which strings of item `index` need no escaping, checked once per event for the first
    /// ``PlainItemStrings/checkedItems`` items (none for later ones, which are escaped as
    /// written): a SKU goes to five platforms, seven times per item.
    func plainItemStrings(_ index: Int) -> PlainItemStrings {
        let checked: UInt64 = 1 << 63
        if itemStringStates & checked == 0 {
            var states = checked
            let items = event.items
            for index in 0..<min(items.count, PlainItemStrings.checkedItems) {
                var plain: PlainItemStrings = JSONWriter.needsNoEscaping(items[index].sku) ? .sku : []
                if items[index].name.map(JSONWriter.needsNoEscaping) ?? true { plain.insert(.name) }
                if items[index].category.map(JSONWriter.needsNoEscaping) ?? true { plain.insert(.category) }
                if items[index].brand.map(JSONWriter.needsNoEscaping) ?? true { plain.insert(.brand) }
                states |= plain.rawValue << UInt64(index &* 4)
            }
            itemStringStates = states
        }
        guard index < PlainItemStrings.checkedItems else { return [] }
        return PlainItemStrings(rawValue: (itemStringStates >> UInt64(index &* 4)) & 0xF)
    }
}
