extension DirectEventReader {
    // MARK: JSON

    /// Where the reading of one object stands.
    struct ObjectReading {
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
    mutating func openObject(depth: Int) throws(GiveUp) -> ObjectReading {
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
    ///
    /// The usual spellings are read in line at the caller (`@_transparent`: with the member
    /// loops' values read in line too, the optimizer made `@inline(__always)` a call); anything
    /// else by ``nextMemberInGeneral(of:names:)``.
    @_transparent
    mutating func nextMember(of object: inout ObjectReading, names: MemberNames) throws(GiveUp) -> Int? {
        // The usual case first: members written compactly in the contract's order, some left out
        // (`,"name":` after a member, matched by word compares against the expected name and the
        // ones after it; `"name":` first; `}` at the end). Anything else (whitespace, a name out of
        // order, an unknown name, a duplicate) takes the loop below, which starts from the same place.
        if !object.closed {
            let bytes = cursor.bytes
            if object.afterMember {
                // At most 64 names (`MemberNames`): a member's bit is in the word.
                if let key = names.firstKey(from: object.expected, at: cursor.index, in: bytes), object.seen & (1 &<< key.member) == 0 {
                    object.seen |= 1 &<< key.member
                    object.expected = key.member &+ 1
                    cursor.index &+= key.length
                    cursor.skipWhitespace()
                    return key.member
                }
                if cursor.index < bytes.count, bytes[cursor.index] == UInt8(ascii: "}") {
                    cursor.index += 1
                    object.closed = true
                    return nil
                }
            } else if object.expected < names.names.count {
                let quote = cursor.index
                let member = object.expected
                let colon = quote + names.length(of: member) + 2
                if colon < bytes.count, bytes[quote] == UInt8(ascii: "\""), names.matches(member, at: quote + 1, in: bytes),
                    bytes[colon] == UInt8(ascii: ":"), object.seen & (1 << member) == 0
                {
                    object.seen |= 1 << member
                    object.expected = member + 1
                    object.afterMember = true
                    cursor.index = colon + 1
                    cursor.skipWhitespace()
                    return member
                }
            }
        }
        return try nextMemberInGeneral(of: &object, names: names)
    }

    /// ``nextMember(of:names:)`` of any spelling, from where the last member ended: whitespace,
    /// names out of order, unknown names, duplicates.
    @inline(never)
    mutating func nextMemberInGeneral(of object: inout ObjectReading, names: MemberNames) throws(GiveUp) -> Int? {
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
    mutating func unknownName() throws(GiveUp) -> Range<Int> {
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
    mutating func colon() throws(GiveUp) {
        cursor.skipWhitespace()
        guard byte() == UInt8(ascii: ":") else { throw GiveUp() }
        cursor.index += 1
        cursor.skipWhitespace()
    }

    @inline(__always)
    func byte() -> UInt8? {
        cursor.index < cursor.bytes.count ? cursor.bytes[cursor.index] : nil
    }

    /// Whether a `null` is at the cursor (moved past it). The first byte is checked in line at the
    /// caller (most values are not `null`), the literal by ``nullLiteral()``.
    @inline(__always)
    mutating func isNull() throws(GiveUp) -> Bool {
        guard byte() == UInt8(ascii: "n") else { return false }
        return try nullLiteral()
    }

    /// Moves past the `null` at the cursor, which starts with `n`; gives up on anything else.
    @inline(never)
    mutating func nullLiteral() throws(GiveUp) -> Bool {
        do {
            try cursor.expect("null")
        } catch {
            throw GiveUp()
        }
        return true
    }

    /// A string value's bytes: where they are, and whether that is the record.
    struct StringBytes {
        /// Valid until the next string is read (a resolved value's are in the scratch area).
        let bytes: UnsafeBufferPointer<UInt8>
        /// The offset of `bytes` in the record, or -1 when they are the scratch area's.
        let recordOffset: Int

        /// A ``StoredText`` of the bytes: a range of `record` when they are in it (short ones inline).
        @inline(__always)
        func stored(in record: borrowing [UInt8]) -> StoredText {
            guard recordOffset >= 0 else { return StoredText(copying: bytes) }
            return StoredText(record, base: bytes.baseAddress! - recordOffset, start: recordOffset, count: bytes.count)
        }
    }

    /// A string value's bytes: in place when written without escapes, otherwise resolved into the
    /// scratch area. Gives up on anything but a string, and on content that is not UTF-8 (the tree
    /// path names the error).
    mutating func stringBytes() throws(GiveUp) -> StringBytes {
        // Without escapes or control characters (most strings), as the personal values are found;
        // a string whose first sixteen bytes hold its end, without a call.
        if let string = unescapedString(maximumLength: Int.max) {
            let raw = UnsafeBufferPointer(rebasing: cursor.bytes[string.start..<string.end])
            guard string.isASCII || JSONStringBytes.isValidUTF8(raw) else { throw GiveUp() }
            cursor.index = string.end &+ 1
            return StringBytes(bytes: raw, recordOffset: string.start)
        }
        guard byte() == UInt8(ascii: "\"") else { throw GiveUp() }
        let scanned: JSONCursor.ScannedString
        do {
            scanned = try cursor.scanString()
        } catch {
            throw GiveUp()
        }
        if !scanned.hasEscape {
            guard scanned.isASCII || JSONStringBytes.isValidUTF8(scanned.raw) else { throw GiveUp() }
            return StringBytes(bytes: scanned.raw, recordOffset: scanned.start)
        }
        return StringBytes(bytes: try resolve(scanned), recordOffset: -1)
    }

    /// `scanned`'s content with its escapes resolved, in the scratch area.
    mutating func resolve(_ scanned: JSONCursor.ScannedString) throws(GiveUp) -> UnsafeBufferPointer<UInt8> {
        let scratch = self.scratch ?? .allocate(capacity: cursor.bytes.count)
        self.scratch = scratch
        let count: Int
        do {
            count = try JSONCursor.unescape(scanned.raw, baseOffset: scanned.start, into: scratch.baseAddress!)
        } catch {
            throw GiveUp()
        }
        let resolved = UnsafeBufferPointer(start: scratch.baseAddress, count: count)
        guard JSONStringBytes.isValidUTF8(resolved) else { throw GiveUp() }
        return resolved
    }

    /// Calls `body` with a string value's bytes (escapes resolved).
    @inline(__always)
    mutating func withStringBytes<Result>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(GiveUp) -> Result
    ) throws(GiveUp) -> Result {
        try body(try stringBytes().bytes)
    }

    /// A string of at most `maximumLength` characters (Unicode scalars), as the decoder's rule.
    mutating func string(maximumLength: Int) throws(GiveUp) -> String {
        try withStringBytes { bytes throws(GiveUp) in
            guard Self.isWithinLength(bytes, maximumLength: maximumLength) else { throw GiveUp() }
            return JSONStringBytes.string(ofValidUTF8: bytes)
        }
    }

    /// A string of 1...maximumLength printable ASCII characters without spaces (the ids' rule).
    mutating func token(maximumLength: Int) throws(GiveUp) -> String {
        try withStringBytes { bytes throws(GiveUp) in
            guard OrderEventDecoder.isToken(bytes, maximumLength: maximumLength) else { throw GiveUp() }
            return JSONStringBytes.string(ofValidUTF8: bytes)
        }
    }

    /// An RFC 3339 date-time, its text kept as a range of the record.
    mutating func timestamp() throws(GiveUp) -> Timestamp {
        // The usual spelling, `YYYY-MM-DDTHH:MM:SSZ`, twenty bytes between quotes, parsed where it
        // lies. Bytes `epochSeconds` accepts are digits and `-T:.Z+` only (it reads every one), so
        // they hold no quote, escape or non-ASCII byte: they are the whole string, as
        // `stringBytes` reads it. Any other spelling is read as a string first.
        let open = cursor.index
        let close = open &+ 21
        if close < cursor.bytes.count, let base = cursor.bytes.baseAddress, base[open] == UInt8(ascii: "\""),
            base[close] == UInt8(ascii: "\""), let seconds = RFC3339.epochSeconds(UnsafeBufferPointer(start: base + open + 1, count: 20))
        {
            cursor.index = close &+ 1
            // Parsed, so the text is the formatted one but for a lower-case `t` or `z`.
            let formatted = base[open &+ 11] == UInt8(ascii: "T") && base[open &+ 20] == UInt8(ascii: "Z")
            return Timestamp(
                epochSeconds: seconds, text: StoredText(record, base: base, start: open &+ 1, count: 20), formatted: formatted)
        }
        let value = try stringBytes()
        guard let seconds = RFC3339.epochSeconds(value.bytes) else { throw GiveUp() }
        return Timestamp(epochSeconds: seconds, text: value.stored(in: record))
    }

    /// At most `maximumLength` characters (Unicode scalars), as ``OrderEventDecoder/isWithinLength(_:maximumLength:)``
    /// counts them.
    static func isWithinLength(_ bytes: UnsafeBufferPointer<UInt8>, maximumLength: Int) -> Bool {
        bytes.count <= maximumLength || JSONStringBytes.scalarCount(bytes) <= maximumLength
    }

    mutating func number() throws(GiveUp) -> JSONNumber {
        guard let first = byte(), first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { throw GiveUp() }
        do {
            return try cursor.parseNumber()
        } catch {
            throw GiveUp()
        }
    }

    /// A number's value, for the numbers whose literal is not kept (``number()`` keeps it).
    mutating func numberValue() throws(GiveUp) -> Double {
        guard let first = byte(), first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { throw GiveUp() }
        do {
            return try cursor.parseNumberValue()
        } catch {
            throw GiveUp()
        }
    }

    /// A string or `null`, at most `maximumLength` characters (Unicode scalars), as the decoder's rule.
    mutating func optionalString(maximumLength: Int) throws(GiveUp) -> String? {
        if try isNull() { return nil }
        return try string(maximumLength: maximumLength)
    }

    /// A personal value or `null`, after any whitespace: a range of the record (or inline), no `String`. The usual
    /// spelling (ASCII without escapes) is read in line at the caller (the customer's and the
    /// context's member loops; `@_transparent`, as the optimizer kept `@inline(__always)` a call
    /// there); anything else by ``piiInGeneral(maximumLength:)``.
    @_transparent
    mutating func pii(maximumLength: Int) throws(GiveUp) -> RawPII? {
        // ASCII without escapes (nearly every personal value), where one byte is one character.
        // Anything else (`null`, an escape, a non-ASCII byte, too long, a control character) is
        // read below, from the start.
        if let string = unescapedString(maximumLength: maximumLength), let base = cursor.bytes.baseAddress {
            guard string.isASCII else { return try nonASCIIPII(from: string.start, to: string.end) }
            cursor.index = string.end &+ 1
            let count = string.end &- string.start
            // A short value's bytes are already in hand, as the scan read them.
            if let words = string.words { return RawPII(text: StoredText(inline: words, count: count, plain: true)) }
            return RawPII(text: StoredText(record, base: base, start: string.start, count: count, plain: true))
        }
        return try piiInGeneral(maximumLength: maximumLength)
    }

    /// A string written without escapes or control characters, as ``unescapedString(maximumLength:)`` finds it.
    struct UnescapedString {
        /// Where its contents start.
        let start: Int
        /// Where its closing quote is.
        let end: Int
        let isASCII: Bool
        /// The contents as two little-endian words, zero past the end, when they are at most 15
        /// bytes and were read as the string's first sixteen; `nil` otherwise.
        let words: (low: UInt64, high: UInt64)?
    }

    /// The string at the cursor when nothing in it needs decoding (no escape or control
    /// character) and it has at most `maximumLength` bytes: where its contents start, where its
    /// closing quote is, and whether the contents are ASCII, from one scan for that quote as
    /// `stringBytes` makes it. `nil` for anything else; the cursor does not move. Transparent, as
    /// `pii` is: with `@inline(__always)` decoding took ~450 more instructions an order.
    ///
    /// The first sixteen bytes after the quote are read in line as one vector (``StringHead``),
    /// where a short value's closing quote is found without a call; a longer value's scan goes on
    /// after them.
    @_transparent
    func unescapedString(maximumLength: Int) -> UnescapedString? {
        let bytes = cursor.bytes
        let open = cursor.index
        guard open < bytes.count, bytes[open] == UInt8(ascii: "\"") else { return nil }
        let start = open &+ 1
        var bitsSeen: UInt64 = 0
        var scanFrom = start
        if start &+ StringHead.count <= bytes.count, let base = bytes.baseAddress {
            let head = StringHead(base + start)
            if let plain = head.plainPrefix {
                // What ends the run is among the sixteen bytes, so within the buffer; at most 15
                // bytes are within every limit the reader passes (checked when it is a constant).
                let close = start &+ plain.count
                guard bytes[close] == UInt8(ascii: "\""), maximumLength >= StringHead.count || plain.count <= maximumLength
                else { return nil }
                let isASCII = !JSONStringBytes.sawNonASCII(plain.low | plain.high)
                return UnescapedString(start: start, end: close, isASCII: isASCII, words: (plain.low, plain.high))
            }
            bitsSeen = head.low | head.high
            scanFrom = start &+ StringHead.count
        }
        let close = JSONStringBytes.firstSpecial(in: bytes, from: scanFrom, bitsSeen: &bitsSeen)
        guard close < bytes.count, bytes[close] == UInt8(ascii: "\""), close &- start <= maximumLength else { return nil }
        return UnescapedString(start: start, end: close, isASCII: !JSONStringBytes.sawNonASCII(bitsSeen), words: nil)
    }

    /// The personal value between `start` and its closing quote at `end`, found by `pii`'s scan:
    /// without escapes or control characters, within the length limit in bytes (so in characters),
    /// but not ASCII: checked as UTF-8 where it lies, without the general path's second scan.
    @inline(never)
    mutating func nonASCIIPII(from start: Int, to end: Int) throws(GiveUp) -> RawPII? {
        let bytes = cursor.bytes
        guard JSONStringBytes.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[start..<end])), let base = bytes.baseAddress
        else { throw GiveUp() }
        cursor.index = end + 1
        return RawPII(text: StoredText(record, base: base, start: start, count: end - start, plain: true))
    }

    /// ``pii(maximumLength:)`` of any spelling, from the value's start or the whitespace before
    /// it: `null`, escapes, non-ASCII, too long, a control character, not a string.
    @inline(never)
    mutating func piiInGeneral(maximumLength: Int) throws(GiveUp) -> RawPII? {
        cursor.skipWhitespace()
        if try isNull() { return nil }
        let value = try stringBytes()
        guard Self.isWithinLength(value.bytes, maximumLength: maximumLength) else { throw GiveUp() }
        return RawPII(text: value.stored(in: record))
    }

    /// `true`, `false` or `null`: each literal compared as one word when five bytes can be read
    /// (a value is followed by at least a `}`), in line at the caller; else byte by byte
    /// (``optionalBoolInGeneral()``).
    @inline(__always)
    mutating func optionalBool() throws(GiveUp) -> Bool? {
        let index = cursor.index
        if index + 5 <= cursor.bytes.count, let base = cursor.bytes.baseAddress {
            // Little-endian: the first byte is the lowest.
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt32.self)
            switch word {
            case Self.trueWord:
                cursor.index = index + 4
                return true
            case Self.nullWord:
                cursor.index = index + 4
                return nil
            case Self.falsWord where base[index + 4] == UInt8(ascii: "e"):
                cursor.index = index + 5
                return false
            default: throw GiveUp()
            }
        }
        return try optionalBoolInGeneral()
    }

    /// ``optionalBool()`` read byte by byte, near the end of the record.
    @inline(never)
    mutating func optionalBoolInGeneral() throws(GiveUp) -> Bool? {
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

    // The literals' first four bytes as a little-endian load gives them: `true`, `null`, `fals`.
    private static var trueWord: UInt32 { 0x6575_7274 }
    private static var nullWord: UInt32 { 0x6C6C_756E }
    private static var falsWord: UInt32 { 0x736C_6166 }
}
