extension DirectEventReader {
    // MARK: The customer and the context, written compactly

    /// Reads the customer at the cursor when it is written as producers write it: compactly, its
    /// members in the contract's order (any of them left out). Each name is matched with its
    /// punctuation against a literal (``skipKey(_:separator:)``) and each value stored straight
    /// into its field: no member table, no seen bits (a straight line reads each member at most
    /// once), no dispatch on the member's index. `false` for any other spelling (whitespace
    /// between members, another order, an unknown or repeated name, not an object): the caller
    /// puts the cursor back, empties `customer` and reads the object with the member loop.
    @inline(__always)
    mutating func compactCustomer(into customer: inout OrderEvent.Customer) throws(GiveUp) -> Bool {
        guard 2 <= cursor.maximumDepth else { return false }
        let limit = OrderEventDecoder.maximumCustomerFieldLength
        var separator = UInt8(ascii: "{")
        if skipKey(#","id":"#, separator: &separator) { storeUnset(&customer.id, try pii(maximumLength: limit)) }
        if skipKey(#","email":"#, separator: &separator) { storeUnset(&customer.email, try pii(maximumLength: limit)) }
        if skipKey(#","phone":"#, separator: &separator) { storeUnset(&customer.phone, try pii(maximumLength: limit)) }
        if skipKey(#","first_name":"#, separator: &separator) { storeUnset(&customer.firstName, try pii(maximumLength: limit)) }
        if skipKey(#","last_name":"#, separator: &separator) { storeUnset(&customer.lastName, try pii(maximumLength: limit)) }
        if skipKey(#","date_of_birth":"#, separator: &separator) {
            storeUnset(&customer.dateOfBirth, try pii(maximumLength: limit))
        }
        if skipKey(#","gender":"#, separator: &separator) { storeUnset(&customer.gender, try pii(maximumLength: limit)) }
        if skipKey(#","city":"#, separator: &separator) { storeUnset(&customer.city, try pii(maximumLength: limit)) }
        if skipKey(#","state":"#, separator: &separator) { storeUnset(&customer.state, try pii(maximumLength: limit)) }
        if skipKey(#","postal_code":"#, separator: &separator) {
            storeUnset(&customer.postalCode, try pii(maximumLength: limit))
        }
        if skipKey(#","country":"#, separator: &separator) { storeUnset(&customer.country, try pii(maximumLength: limit)) }
        return closesCompactObject(afterMember: separator != UInt8(ascii: "{"))
    }

    /// ``compactCustomer(into:)`` for the context.
    @inline(__always)
    mutating func compactContext(into context: inout OrderEvent.Context) throws(GiveUp) -> Bool {
        guard 2 <= cursor.maximumDepth else { return false }
        let limit = OrderEventDecoder.maximumContextFieldLength
        var separator = UInt8(ascii: "{")
        if skipKey(#","ip":"#, separator: &separator) { storeUnset(&context.ip, try pii(maximumLength: limit)) }
        if skipKey(#","user_agent":"#, separator: &separator) { storeUnset(&context.userAgent, try pii(maximumLength: limit)) }
        if skipKey(#","page_url":"#, separator: &separator) { storeUnset(&context.pageURL, try pii(maximumLength: limit)) }
        if skipKey(#","fbp":"#, separator: &separator) { storeUnset(&context.fbp, try pii(maximumLength: limit)) }
        if skipKey(#","fbc":"#, separator: &separator) { storeUnset(&context.fbc, try pii(maximumLength: limit)) }
        if skipKey(#","ttclid":"#, separator: &separator) { storeUnset(&context.ttclid, try pii(maximumLength: limit)) }
        if skipKey(#","ttp":"#, separator: &separator) { storeUnset(&context.ttp, try pii(maximumLength: limit)) }
        if skipKey(#","gclid":"#, separator: &separator) { storeUnset(&context.gclid, try pii(maximumLength: limit)) }
        if skipKey(#","gbraid":"#, separator: &separator) { storeUnset(&context.gbraid, try pii(maximumLength: limit)) }
        if skipKey(#","wbraid":"#, separator: &separator) { storeUnset(&context.wbraid, try pii(maximumLength: limit)) }
        if skipKey(#","epik":"#, separator: &separator) { storeUnset(&context.epik, try pii(maximumLength: limit)) }
        if skipKey(#","sc_click_id":"#, separator: &separator) { storeUnset(&context.scClickID, try pii(maximumLength: limit)) }
        if skipKey(#","sc_cookie1":"#, separator: &separator) { storeUnset(&context.scCookie1, try pii(maximumLength: limit)) }
        return closesCompactObject(afterMember: separator != UInt8(ascii: "{"))
    }

    /// Moves past `key`, a member's name with its punctuation as it follows a member in compact
    /// JSON (`,"name":`, 5 to 24 bytes), when it comes next with `separator` in place of its comma
    /// (whitespace before the value is left to ``pii(maximumLength:)``, which reads it on its general
    /// path, so the usual value is not asked for it). `separator` is `{` before an object's first
    /// member (the cursor is at the object's start), and becomes `,` once a member is read. The
    /// key's words are constants; only its first byte is `separator`.
    @inline(__always)
    mutating func skipKey(_ key: StaticString, separator: inout UInt8) -> Bool {
        let count = key.utf8CodeUnitCount
        assert(count >= 5 && count <= 24)
        let index = cursor.index
        guard index &+ count <= cursor.bytes.count, let base = cursor.bytes.baseAddress else { return false }
        let here = UnsafeRawPointer(base + index)
        let spelled = UnsafeRawPointer(key.utf8Start)
        let matches: Bool
        if count >= 8 {
            // The last word overlaps the first only for a key of eight bytes, where it is the first.
            matches =
                here.loadUnaligned(as: UInt64.self) == spelled.loadUnaligned(as: UInt64.self) & ~0xFF | UInt64(separator)
                && (count == 8
                    || here.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
                        == spelled.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
                && (count <= 16
                    || here.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                        == spelled.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        } else {
            // Five to seven bytes: the last four start after the first byte.
            matches =
                here.loadUnaligned(as: UInt32.self) == spelled.loadUnaligned(as: UInt32.self) & ~0xFF | UInt32(separator)
                && here.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
                    == spelled.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
        }
        guard matches else { return false }
        cursor.index = index &+ count
        separator = UInt8(ascii: ",")
        return true
    }

    /// Moves past the `}` that ends an object read by ``skipKey(_:separator:)`` when it comes
    /// next, once a member was read (`afterMember`). With none read, the cursor is where the object
    /// should open: an empty object, or a `}` with no `{` before it (malformed, which the tree
    /// refuses; found by the decoder fuzzer), is left to the member loop.
    @inline(__always)
    mutating func closesCompactObject(afterMember: Bool) -> Bool {
        guard afterMember, byte() == UInt8(ascii: "}") else { return false }
        cursor.index &+= 1
        return true
    }
}
