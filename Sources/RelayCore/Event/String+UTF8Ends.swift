extension String {
    /// The first and last UTF-8 bytes (the same byte for a one-byte string), or `nil` when empty,
    /// read in place. `utf8.first` and `utf8.last` go through generic collection code; the
    /// trimming and blank checks ask for the ends of most values of an order, and the ends alone
    /// answer almost all of them. Always inlined: `@inlinable` alone left it a call, ~36
    /// instructions each, ~92 an order.
    @inlinable @inline(__always)
    public var utf8Ends: (first: UInt8, last: UInt8)? {
        if let ends = utf8.withContiguousStorageIfAvailable({ bytes in bytes.isEmpty ? nil : (bytes[0], bytes[bytes.count - 1]) }) {
            return ends
        }
        guard let first = utf8.first, let last = utf8.last else { return nil }
        return (first, last)
    }
}
