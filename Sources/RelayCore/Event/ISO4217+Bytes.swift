extension ISO4217 {
    /// The codes as three bytes in the low bits of a `UInt32`, sorted, each with its `String`:
    /// a decoded event's currency is found by a binary search over its bytes and shares the
    /// table's `String` (no `String` made and hashed per event).
    private static let packed: [(key: UInt32, code: String)] = codes.map { code in
        (code.utf8.reduce(0) { $0 << 8 | UInt32($1) }, code)
    }.sorted { $0.key < $1.key }

    /// The active code spelled by UTF-8 `bytes`, or `nil` (``codes`` does not contain it).
    static func code(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count == 3 else { return nil }
        let key = UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
        return packed.withUnsafeBufferPointer { table in
            var low = 0
            var high = table.count
            while low < high {
                let middle = (low + high) >> 1
                if table[middle].key < key { low = middle + 1 } else { high = middle }
            }
            return low < table.count && table[low].key == key ? table[low].code : nil
        }
    }
}
