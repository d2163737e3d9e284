import RelayCore

/// A JSON Pointer into the source record, spelled out only when a refusal names it: a mapping
/// reads dozens of fields per record and builds no path strings unless one is wrong.
struct SourcePointer: ExpressibleByStringLiteral {
    private enum Storage {
        case literal(StaticString)
        /// `head` + array index + `tail`, e.g. `/line_items/` 2 `/price`.
        case element(StaticString, Int, StaticString)
        case text(String)
    }
    private let storage: Storage

    init(stringLiteral value: StaticString) { storage = .literal(value) }
    init(_ head: StaticString, _ index: Int, _ tail: StaticString) { storage = .element(head, index, tail) }
    init(text: String) { storage = .text(text) }

    var text: String {
        switch storage {
        case .literal(let pointer): "\(pointer)"
        case .element(let head, let index, let tail): "\(head)\(index)\(tail)"
        case .text(let text): text
        }
    }
}

/// Reads a source record and writes the native contract's JSON, naming the source's JSON Pointer
/// in every refusal. Strings and numbers are copied as the record wrote them (escapes included),
/// so a mapping neither decodes nor re-escapes what it only moves.
struct ContractWriter: ~Copyable {
    let format: InputFormat
    var writer = JSONWriter(reservingCapacity: 1024)

    init(format: InputFormat) {
        self.format = format
    }

    /// Parses `record` with the native decoder's limits (1 MiB, 64 levels, unique keys).
    static func parse(_ record: [UInt8]) throws(OrderEventDecodingError) -> JSONTape {
        do {
            return try JSONTape(parsing: record)
        } catch {
            throw OrderEventDecodingError(kind: .malformedJSON, path: "", reason: error.description)
        }
    }

    func violation(_ path: SourcePointer, _ rule: String) -> OrderEventDecodingError {
        OrderEventDecodingError(kind: .schemaViolation, path: path.text, reason: "\(rule) (\(format.rawValue) input)")
    }

    /// The record's top level, which must be an object.
    func root(_ tape: JSONTape) throws(OrderEventDecodingError) -> JSONTape.Object {
        guard let object = tape.root.object else { throw violation("", "must be an object, not \(tape.root.typeName)") }
        return object
    }

    /// An object member, or `nil` when it is absent or `null`; anything but an object is refused.
    func object(_ value: JSONTape.Value?, at path: SourcePointer) throws(OrderEventDecodingError) -> JSONTape.Object? {
        guard let value, value.kind != .null else { return nil }
        guard let object = value.object else { throw violation(path, "must be an object, not \(value.typeName)") }
        return object
    }

    /// An array member, or `nil` when it is absent or `null`.
    func array(_ value: JSONTape.Value?, at path: SourcePointer) throws(OrderEventDecodingError) -> JSONTape.Elements? {
        guard let value, value.kind != .null else { return nil }
        guard let array = value.array else { throw violation(path, "must be an array, not \(value.typeName)") }
        return array
    }

    /// Whether `value` carries something: not absent, not `null`, not `""`.
    static func isPresent(_ value: JSONTape.Value?) -> Bool {
        guard let value else { return false }
        switch value.kind {
        case .null: return false
        case .string: return value.isNonEmptyString
        default: return true
        }
    }

    /// A field the mapping may read, with where it is.
    typealias Candidate = (value: JSONTape.Value?, path: SourcePointer)

    /// The first of up to three candidates that carries something (fixed arity: a variadic list
    /// would allocate an array per call, dozens of times per record).
    static func first(_ a: Candidate, _ b: Candidate? = nil, _ c: Candidate? = nil) -> (value: JSONTape.Value, path: SourcePointer)? {
        if isPresent(a.value) { return (a.value!, a.path) }
        if let b, isPresent(b.value) { return (b.value!, b.path) }
        if let c, isPresent(c.value) { return (c.value!, c.path) }
        return nil
    }

    mutating func begin() {
        writer.beginObject()
        writer.key("schema_version")
        writer.integer(1)
        writer.key("event_type")
        writer.unescapedString("order.completed")
    }

    /// The finished event's bytes.
    mutating func finish() -> [UInt8] {
        writer.endObject()
        return writer.bytes
    }

    /// Writes `key: value` for a string; an identifier may also be an integer (Shopify's ids
    /// are JSON numbers), written as its digits.
    mutating func identifier(_ key: StaticString, _ value: JSONTape.Value, at path: SourcePointer) throws(OrderEventDecodingError) {
        switch value.kind {
        case .string:
            writer.key(key)
            writer.raw(value.jsonText)
        case .number where value.number?.integer != nil && !value.rawBytes.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }):
            writer.key(key)
            writer.unescapedString(String(decoding: value.rawBytes, as: UTF8.self))
        default:
            throw violation(path, "must be a string or an integer, not \(value.typeName)")
        }
    }

    /// Writes `key: "…"` when `value` is a string; absent and `null` are left out.
    mutating func optionalString(_ key: StaticString, _ value: JSONTape.Value?, at path: SourcePointer) throws(OrderEventDecodingError) {
        guard let value, value.kind != .null else { return }
        guard value.kind == .string else { throw violation(path, "must be a string, not \(value.typeName)") }
        writer.key(key)
        writer.raw(value.jsonText)
    }

    /// Writes the first present candidate under `key`, as ``optionalString(_:_:at:)``.
    mutating func firstString(_ key: StaticString, _ a: Candidate, _ b: Candidate? = nil, _ c: Candidate? = nil)
        throws(OrderEventDecodingError)
    {
        guard let found = Self.first(a, b, c) else { return }
        try optionalString(key, found.value, at: found.path)
    }

    /// Writes `key: number` from a JSON number or from a decimal string (`"199.65"`, as Shopify
    /// writes amounts), copied digit for digit.
    mutating func amount(_ key: StaticString, _ value: JSONTape.Value, at path: SourcePointer) throws(OrderEventDecodingError) {
        switch value.kind {
        case .number:
            writer.key(key)
            writer.raw(value.rawBytes)
        case .string where Self.isDecimal(value):
            writer.key(key)
            writer.raw(value.rawBytes)
        default:
            throw violation(path, "must be a number or a decimal string such as \"19.99\", not \(value.typeName)")
        }
    }

    /// Writes `key: integer` from a JSON number or a string of digits.
    mutating func count(_ key: StaticString, _ value: JSONTape.Value, at path: SourcePointer) throws(OrderEventDecodingError) {
        switch value.kind {
        case .number:
            writer.key(key)
            writer.raw(value.rawBytes)
        case .string where value.isNonEmptyString && value.rawBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && value.rawBytes.count <= 15:
            writer.key(key)
            writer.raw(value.rawBytes)
        default:
            throw violation(path, "must be an integer, not \(value.typeName)")
        }
    }

    /// Writes `key: true|false`; absent and `null` are left out.
    mutating func optionalBool(_ key: StaticString, _ value: JSONTape.Value?, at path: SourcePointer) throws(OrderEventDecodingError) {
        guard let value, value.kind != .null else { return }
        guard let flag = value.bool else { throw violation(path, "must be a boolean, not \(value.typeName)") }
        writer.key(key)
        writer.bool(flag)
    }

    /// A string of at most 15 integer digits and 15 decimals, optional leading `-` (which the
    /// contract then refuses by name): a JSON number literal as it stands.
    static func isDecimal(_ value: JSONTape.Value) -> Bool {
        let bytes = value.rawBytes
        var index = bytes.startIndex
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        let integerDigits = index - integerStart
        guard integerDigits >= 1, integerDigits <= 15 else { return false }
        // JSON allows no leading zero before more digits ("007").
        if integerDigits > 1, bytes[integerStart] == 0x30 { return false }
        guard index < bytes.endIndex else { return true }
        guard bytes[index] == UInt8(ascii: ".") else { return false }
        index += 1
        let fractionStart = index
        while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        return index == bytes.endIndex && (1...15).contains(index - fractionStart)
    }
}
