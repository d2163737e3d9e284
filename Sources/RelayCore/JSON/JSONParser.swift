/// Why a document is not acceptable JSON for the event contract.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case emptyDocument = "empty document"
        case invalidUTF8 = "invalid UTF-8"
        case unexpectedCharacter = "unexpected character"
        case unexpectedEnd = "unexpected end of document"
        case trailingContent = "content after the JSON value"
        case invalidNumber = "invalid number"
        case numberOutOfRange = "number out of range"
        case invalidEscape = "invalid escape sequence"
        case controlCharacterInString = "unescaped control character in string"
        case loneSurrogate = "lone UTF-16 surrogate"
        case tooDeep = "nesting deeper than the limit"
        case tooLarge = "document larger than the limit"
        case duplicateKey = "duplicate object key"
    }

    public let reason: Reason
    /// Byte offset in the document where the problem was found.
    public let offset: Int

    /// Never contains document content, only the reason and position, so it is safe to log.
    public init(reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason.rawValue) at byte \(offset)" }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// Stricter than `JSONSerialization` in the ways that matter for a data contract: invalid UTF-8,
/// lone surrogates, duplicate keys and non-finite numbers are errors, and nesting depth and
/// document size are bounded so hostile input cannot exhaust the stack or memory.
public struct JSONParser: Sendable {
    /// Deepest nesting of arrays and objects accepted.
    public var maximumDepth: Int
    /// Largest document accepted, in bytes.
    public var maximumBytes: Int

    public init(maximumDepth: Int = 64, maximumBytes: Int = 1 << 20) {
        self.maximumDepth = maximumDepth
        self.maximumBytes = maximumBytes
    }

    public func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        // Contiguous bytes (an array, a request body) are read in place; a copy only otherwise.
        let inPlace: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try parse(buffer: buffer) }
        }
        if let inPlace { return try inPlace.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer throws(JSONParseError) in
            try parse(buffer: buffer)
        }
    }

    public func parse(buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        guard buffer.count <= maximumBytes else { throw JSONParseError(reason: .tooLarge, offset: maximumBytes) }
        var cursor = JSONCursor(bytes: buffer, maximumDepth: maximumDepth)
        cursor.skipWhitespace()
        guard cursor.index < buffer.count else { throw JSONParseError(reason: .emptyDocument, offset: 0) }
        let value = try cursor.parseValue(depth: 0)
        cursor.skipWhitespace()
        guard cursor.index == buffer.count else { throw cursor.error(.trailingContent) }
        return value
    }
}

/// Reads one JSON document from UTF-8 bytes, value by value. Shared by ``JSONParser`` (which builds
/// a tree) and ``OrderEventDecoder``'s direct path (which reads an event without one), so both
/// accept and refuse exactly the same bytes.
struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let maximumDepth: Int
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    func error(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason: reason, offset: index)
    }

    /// Always inlined: the direct reader calls it around every name, colon and value, and
    /// compact records have no whitespace, so the first comparison is usually all it does.
    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func peek() throws(JSONParseError) -> UInt8 {
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        return bytes[index]
    }

    mutating func expect(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error(.unexpectedEnd) }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            index += offset
            throw error(.unexpectedCharacter)
        }
        index += count
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error(.unexpectedCharacter)
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        guard depth <= maximumDepth else { throw error(.tooDeep) }
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        // Duplicate keys: a linear scan for small objects (cheaper than hashing every key), a set
        // once an object grows past that.
        var seen: Set<String>? = nil
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return JSONObject(members: members)
        }
        // Event objects have up to a dozen or so members: one allocation instead of growing 1, 2, 4, 8, 16.
        members.reserveCapacity(16)
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw error(.unexpectedCharacter) }
            let keyOffset = index
            let key = try parseString()
            let duplicate: Bool
            if seen == nil, members.count < 16 {
                duplicate = JSONObject.index(of: key, in: members) != nil
            } else {
                if seen == nil { seen = Set(members.map(\.key)) }
                duplicate = !seen!.insert(key).inserted
            }
            guard !duplicate else { throw JSONParseError(reason: .duplicateKey, offset: keyOffset) }
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw error(.unexpectedCharacter) }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return JSONObject(members: members)
            default: throw error(.unexpectedCharacter)
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= maximumDepth else { throw error(.tooDeep) }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        elements.reserveCapacity(4)
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return elements
            default: throw error(.unexpectedCharacter)
            }
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        let double = try parseNumberValue()
        return JSONNumber(
            literal: JSONStringBytes.string(ofValidUTF8: UnsafeBufferPointer(rebasing: bytes[start..<index])), double: double)
    }

    /// Reads a number as ``parseNumber()`` does (the same refusals) and returns its value only,
    /// without making its literal's `String` (for numbers whose text nobody keeps, such as a
    /// schema version or a quantity).
    mutating func parseNumberValue() throws(JSONParseError) -> Double {
        let start = index
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        // The digits as one integer, while there are few enough for it to be exact in a Double.
        var digits: UInt64 = 0
        var digitCount = 0
        var fractionDigits = 0
        func take(_ byte: UInt8) {
            digits = digits &* 10 &+ UInt64(byte - 0x30)
            digitCount += 1
        }
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                take(bytes[index])
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
            while index < bytes.count, isDigit(bytes[index]) {
                take(bytes[index])
                fractionDigits += 1
                index += 1
            }
        }
        var hasExponent = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            hasExponent = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Clinger's fast path: an integer below 2^53 and a power of ten up to 10^22 are both exact
        // Doubles, and IEEE 754 division rounds correctly, so digits / 10^fractionDigits is the
        // Double nearest the literal, as `Double(String)` (strtod) finds it. Prices and quantities
        // take this path; anything longer or with an exponent goes to strtod.
        if !hasExponent, digitCount <= 15 {
            let magnitude = Double(digits) / Self.powersOfTen[fractionDigits]
            return negative ? -magnitude : magnitude
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(literal), value.isFinite else {
            throw JSONParseError(reason: .numberOutOfRange, offset: start)
        }
        return value
    }

    /// 10^0 through 10^15, every one exact as a Double. Literals, so the table is built when the
    /// program is compiled, not on first use (which checked a once-token at every access).
    private static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

    mutating func parseString() throws(JSONParseError) -> String {
        let string = try scanString()
        return try Self.decode(string)
    }

    /// Where one string's content is, and what ``decode(_:)`` must do with it.
    struct ScannedString {
        /// The content between the quotes, as written (escapes not undone).
        var raw: UnsafeBufferPointer<UInt8>
        /// Byte offset of the content in the document.
        var start: Int
        var hasEscape: Bool
        var isASCII: Bool
    }

    /// Moves past one string (the cursor is on its opening quote) without decoding it: finds its
    /// end and refuses control characters; ``decode(_:)`` (or ``validate(_:)``) checks the rest.
    @inline(__always)
    mutating func scanString() throws(JSONParseError) -> ScannedString {
        index += 1  // opening quote
        let start = index
        // Runs of plain bytes are skipped eight at a time; the scan stops at a quote, a backslash
        // or a control character.
        var hasEscape = false
        var bitsSeen: UInt64 = 0
        while true {
            index = JSONStringBytes.firstSpecial(in: bytes, from: index, bitsSeen: &bitsSeen)
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw error(.controlCharacterInString) }
            // A backslash: the escaped character is checked by `unescape`.
            hasEscape = true
            index += 2
        }
        let end = index
        index += 1  // closing quote
        return ScannedString(
            raw: UnsafeBufferPointer(rebasing: bytes[start..<end]), start: start, hasEscape: hasEscape,
            isASCII: !JSONStringBytes.sawNonASCII(bitsSeen))
    }

    /// The string's value; throws what the content breaks (an escape, a surrogate, UTF-8). Reads
    /// only `scanned`, not the cursor, so a reader of already-scanned bytes (``JSONTape``) calls it too.
    @inline(__always)
    static func decode(_ scanned: ScannedString) throws(JSONParseError) -> String {
        if !scanned.hasEscape {
            // `String(decoding:)` takes the stdlib's non-generic UTF-8 path (`String(validating:)`
            // looks up generic metadata on every call); it repairs invalid UTF-8, so the input was
            // valid exactly when the repair changed nothing.
            let raw = scanned.raw
            let string = String(decoding: raw, as: UTF8.self)
            guard
                scanned.isASCII
                    || string.utf8.count == raw.count
                        && string.utf8.withContiguousStorageIfAvailable({ $0.hasSameBytes(as: raw) }) ?? string.utf8.elementsEqual(raw)
            else {
                throw JSONParseError(reason: .invalidUTF8, offset: scanned.start)
            }
            return string
        }
        return try unescape(scanned.raw, baseOffset: scanned.start)
    }

    /// Throws exactly what ``decode(_:)`` throws, without making a `String` for ASCII content
    /// with no escapes (the common case).
    static func validate(_ scanned: ScannedString) throws(JSONParseError) {
        if scanned.isASCII, !scanned.hasEscape { return }
        _ = try decode(scanned)
    }

    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, baseOffset: Int) throws(JSONParseError) -> String {
        var output = [UInt8](repeating: 0, count: raw.count)
        let count = try output.withUnsafeMutableBufferPointer { buffer throws(JSONParseError) in
            try unescape(raw, baseOffset: baseOffset, into: buffer.baseAddress!)
        }
        guard let string = String(validating: output[..<count], as: UTF8.self) else {
            throw JSONParseError(reason: .invalidUTF8, offset: baseOffset)
        }
        return string
    }

    /// Writes the content with its escapes resolved to `output` (room for `raw.count` bytes, which
    /// is always enough: no escape is shorter than what it stands for) and returns the count
    /// written. Throws what the escapes break; the UTF-8 of the result is the caller's to check.
    static func unescape(
        _ raw: UnsafeBufferPointer<UInt8>, baseOffset: Int, into output: UnsafeMutablePointer<UInt8>
    ) throws(JSONParseError) -> Int {
        var written = 0
        var position = 0
        func fail(_ reason: JSONParseError.Reason) -> JSONParseError {
            JSONParseError(reason: reason, offset: baseOffset + position)
        }
        func hex4(at offset: Int) throws(JSONParseError) -> UInt32 {
            guard offset + 4 <= raw.count else { throw fail(.invalidEscape) }
            var value: UInt32 = 0
            for byte in raw[offset..<offset + 4] {
                value <<= 4
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value |= UInt32(byte - 0x30)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value |= UInt32(byte - 0x61 + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): value |= UInt32(byte - 0x41 + 10)
                default: throw fail(.invalidEscape)
                }
            }
            return value
        }
        func append(_ byte: UInt8) {
            output[written] = byte
            written += 1
        }
        while position < raw.count {
            let byte = raw[position]
            guard byte == UInt8(ascii: "\\") else {
                append(byte)
                position += 1
                continue
            }
            guard position + 1 < raw.count else { throw fail(.invalidEscape) }
            let escaped = raw[position + 1]
            position += 2
            switch escaped {
            case UInt8(ascii: "\""): append(0x22)
            case UInt8(ascii: "\\"): append(0x5C)
            case UInt8(ascii: "/"): append(0x2F)
            case UInt8(ascii: "b"): append(0x08)
            case UInt8(ascii: "f"): append(0x0C)
            case UInt8(ascii: "n"): append(0x0A)
            case UInt8(ascii: "r"): append(0x0D)
            case UInt8(ascii: "t"): append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: position)
                position += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard position + 6 <= raw.count, raw[position] == UInt8(ascii: "\\"),
                        raw[position + 1] == UInt8(ascii: "u")
                    else { throw fail(.loneSurrogate) }
                    let low = try hex4(at: position + 2)
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail(.loneSurrogate) }
                    position += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail(.loneSurrogate)
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail(.invalidEscape) }
                for byte in UTF8.encode(unicode)! { append(byte) }
            default:
                throw fail(.invalidEscape)
            }
        }
        return written
    }
}
