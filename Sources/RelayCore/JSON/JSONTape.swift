/// A JSON document read into one flat array of nodes over its bytes (a "tape"), for reading
/// large documents without building a ``JSONValue`` tree: strings and numbers stay byte ranges
/// until a caller reads them, and a container knows where its subtree ends, so parsing allocates
/// two arrays per document instead of one or more per value.
///
/// It accepts and refuses exactly the documents ``JSONParser`` does, with the same
/// ``JSONParseError`` (the same ``JSONCursor`` reads strings and numbers), which the tests and the
/// fuzzer check byte for byte.
///
/// A third reader beside ``JSONParser`` and `DirectEventReader`, kept because a measurement
/// justifies it: reading 1,000 of Meta's encoded events (one request's `data`) and every event's
/// id and first hashed email took 2.6 ms and 23 allocations as a tape, 4.0 ms and ~30,000
/// allocations as a ``JSONValue`` tree, 48 ms and ~50,000 with Foundation's `JSONSerialization`
/// (fastest run of each; `make microbench`, "read 1,000 Meta events"; benchmarks/HISTORY.md,
/// "Platform twins"). The sandboxes read every request body this way, on the same cores as the
/// relay they measure, and the relay reads Pinterest's per-event statuses with it.
public final class JSONTape: Sendable {
    /// What a node is.
    public enum Kind: UInt8, Sendable {
        case null, bool, number, string, array, object

        /// The JSON type name as JSON Schema spells it, for error messages.
        public var typeName: String {
            switch self {
            case .null: "null"
            case .bool: "boolean"
            case .number: "number"
            case .string: "string"
            case .array: "array"
            case .object: "object"
            }
        }
    }

    struct Node {
        var kind: Kind
        /// `true` for the literal `true`; for a string, whether its content has escapes.
        var flag: Bool
        /// The value's bytes: a string's content between the quotes, a number's literal, a
        /// container's brackets inclusive.
        var start: UInt32
        var end: UInt32
        /// The index of the node after this value's subtree.
        var next: UInt32
        /// Members of an object, elements of an array.
        var count: UInt32
    }

    /// The document.
    public let bytes: [UInt8]
    let nodes: [Node]

    /// Parses `bytes` under the same limits as ``JSONParser``.
    public init(parsing bytes: [UInt8], maximumDepth: Int = 64, maximumBytes: Int = 1 << 20) throws(JSONParseError) {
        guard bytes.count <= maximumBytes else { throw JSONParseError(reason: .tooLarge, offset: maximumBytes) }
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) in
                var builder = Builder(cursor: JSONCursor(bytes: buffer, maximumDepth: maximumDepth))
                return try builder.document()
            }
        }
        self.bytes = bytes
        self.nodes = try parsed.get()
    }

    /// The top-level value.
    public var root: Value { Value(tape: self, index: 0) }

    /// Appends nodes in document order while the cursor reads.
    private struct Builder {
        var cursor: JSONCursor
        var nodes: [Node] = []
        /// The key nodes of the objects being read, innermost last (shared, so a small object's
        /// duplicate check allocates nothing).
        var openKeys: [Int] = []

        init(cursor: JSONCursor) {
            self.cursor = cursor
            // A request of n events has roughly 30 n nodes; one growth step less for typical sizes.
            nodes.reserveCapacity(max(16, cursor.bytes.count / 24))
        }

        mutating func document() throws(JSONParseError) -> [Node] {
            cursor.skipWhitespace()
            guard cursor.index < cursor.bytes.count else { throw JSONParseError(reason: .emptyDocument, offset: 0) }
            try value(depth: 0)
            cursor.skipWhitespace()
            guard cursor.index == cursor.bytes.count else { throw cursor.error(.trailingContent) }
            return nodes
        }

        private mutating func append(_ kind: Kind, flag: Bool = false, start: Int, end: Int) {
            nodes.append(Node(kind: kind, flag: flag, start: UInt32(start), end: UInt32(end), next: UInt32(nodes.count + 1), count: 0))
        }

        private mutating func value(depth: Int) throws(JSONParseError) {
            let start = cursor.index
            switch try cursor.peek() {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"):
                try cursor.expect("true")
                append(.bool, flag: true, start: start, end: cursor.index)
            case UInt8(ascii: "f"):
                try cursor.expect("false")
                append(.bool, start: start, end: cursor.index)
            case UInt8(ascii: "n"):
                try cursor.expect("null")
                append(.null, start: start, end: cursor.index)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                // Parsed as the tree parser does (same refusals), without making its literal.
                _ = try cursor.parseNumberValue()
                append(.number, start: start, end: cursor.index)
            default:
                throw cursor.error(.unexpectedCharacter)
            }
        }

        private mutating func string() throws(JSONParseError) {
            let scanned = try cursor.scanString()
            try JSONCursor.validate(scanned)
            append(.string, flag: scanned.hasEscape, start: scanned.start, end: scanned.start + scanned.raw.count)
        }

        private mutating func object(depth: Int) throws(JSONParseError) {
            guard depth <= cursor.maximumDepth else { throw cursor.error(.tooDeep) }
            let node = nodes.count
            append(.object, start: cursor.index, end: cursor.index)
            cursor.index += 1  // {
            let firstKey = openKeys.count
            defer { openKeys.removeSubrange(firstKey...) }
            // As in the tree parser: a linear scan for duplicates while the object is small, a set
            // of its keys once it grows past that.
            var seen: Set<String>? = nil
            var count: UInt32 = 0
            cursor.skipWhitespace()
            if try cursor.peek() == UInt8(ascii: "}") {
                cursor.index += 1
            } else {
                while true {
                    cursor.skipWhitespace()
                    guard try cursor.peek() == UInt8(ascii: "\"") else { throw cursor.error(.unexpectedCharacter) }
                    let keyOffset = cursor.index
                    try string()
                    let key = nodes.count - 1
                    let duplicate: Bool
                    if seen == nil, openKeys.count - firstKey < 16 {
                        duplicate = openKeys[firstKey...].contains { sameString(nodes[$0], nodes[key]) }
                    } else {
                        if seen == nil { seen = Set(openKeys[firstKey...].map { JSONTape.text(of: nodes[$0], in: cursor.bytes) }) }
                        duplicate = !seen!.insert(JSONTape.text(of: nodes[key], in: cursor.bytes)).inserted
                    }
                    guard !duplicate else { throw JSONParseError(reason: .duplicateKey, offset: keyOffset) }
                    openKeys.append(key)
                    cursor.skipWhitespace()
                    guard try cursor.peek() == UInt8(ascii: ":") else { throw cursor.error(.unexpectedCharacter) }
                    cursor.index += 1
                    cursor.skipWhitespace()
                    try value(depth: depth)
                    count += 1
                    if try closes(with: UInt8(ascii: "}")) { break }
                }
            }
            close(node, count: count)
        }

        private mutating func array(depth: Int) throws(JSONParseError) {
            guard depth <= cursor.maximumDepth else { throw cursor.error(.tooDeep) }
            let node = nodes.count
            append(.array, start: cursor.index, end: cursor.index)
            cursor.index += 1  // [
            var count: UInt32 = 0
            cursor.skipWhitespace()
            if try cursor.peek() == UInt8(ascii: "]") {
                cursor.index += 1
            } else {
                while true {
                    cursor.skipWhitespace()
                    try value(depth: depth)
                    count += 1
                    if try closes(with: UInt8(ascii: "]")) { break }
                }
            }
            close(node, count: count)
        }

        /// After a member or element: moves past a `,` (false) or the container's `closing`
        /// bracket (true); anything else is an error at that byte, as in the tree parser.
        private mutating func closes(with closing: UInt8) throws(JSONParseError) -> Bool {
            cursor.skipWhitespace()
            let byte = try cursor.peek()
            guard byte == closing || byte == UInt8(ascii: ",") else { throw cursor.error(.unexpectedCharacter) }
            cursor.index += 1
            return byte == closing
        }

        private mutating func close(_ node: Int, count: UInt32) {
            nodes[node].end = UInt32(cursor.index)
            nodes[node].next = UInt32(nodes.count)
            nodes[node].count = count
        }

        private func sameString(_ a: Node, _ b: Node) -> Bool {
            if !a.flag, !b.flag {
                guard a.end - a.start == b.end - b.start else { return false }
                return UnsafeBufferPointer(rebasing: cursor.bytes[Int(a.start)..<Int(a.end)])
                    .hasSameBytes(as: UnsafeBufferPointer(rebasing: cursor.bytes[Int(b.start)..<Int(b.end)]))
            }
            return JSONTape.text(of: a, in: cursor.bytes) == JSONTape.text(of: b, in: cursor.bytes)
        }
    }

    /// A string node's value. It was validated when parsed, so decoding cannot fail here.
    static func text(of node: Node, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        let scanned = JSONCursor.ScannedString(
            raw: UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.end)]), start: Int(node.start),
            hasEscape: node.flag, isASCII: false)
        return (try? JSONCursor.decode(scanned)) ?? ""
    }
}

extension JSONTape {
    /// One value of the document.
    public struct Value: Sendable {
        let tape: JSONTape
        let index: Int

        var node: JSONTape.Node { tape.nodes[index] }

        public var kind: Kind { node.kind }

        /// The JSON type name as JSON Schema spells it, for error messages.
        public var typeName: String { kind.typeName }

        public var bool: Bool? { kind == .bool ? node.flag : nil }

        /// The value's bytes as written: a string's content between its quotes (escapes not
        /// undone), a number's literal, a container with its brackets.
        public var rawBytes: ArraySlice<UInt8> {
            let node = node
            return tape.bytes[Int(node.start)..<Int(node.end)]
        }

        /// The value exactly as the document wrote it: a string with its quotes and escapes, a
        /// number's literal, a container with its brackets. Valid JSON on its own, so a mapping
        /// can copy it into another document without decoding and re-escaping it.
        public var jsonText: ArraySlice<UInt8> {
            let node = node
            let quote = node.kind == .string ? 1 : 0
            return tape.bytes[(Int(node.start) - quote)..<(Int(node.end) + quote)]
        }

        /// A string's value, decoded.
        public var string: String? {
            let node = node
            guard node.kind == .string else { return nil }
            return tape.bytes.withUnsafeBufferPointer { JSONTape.text(of: node, in: $0) }
        }

        /// Whether this is a string equal to `text`; compares bytes unless the string has escapes.
        public func isString(_ text: String) -> Bool {
            let node = node
            guard node.kind == .string else { return false }
            if node.flag { return string == text }
            var text = text
            return text.withUTF8 { expected in
                expected.count == Int(node.end - node.start)
                    && tape.bytes.withUnsafeBufferPointer {
                        UnsafeBufferPointer(rebasing: $0[Int(node.start)..<Int(node.end)]).hasSameBytes(as: expected)
                    }
            }
        }

        /// Whether this is a string with at least one character.
        public var isNonEmptyString: Bool { (stringByteCount ?? 0) > 0 }

        /// A string's length in UTF-8 bytes (escapes undone).
        public var stringByteCount: Int? {
            let node = node
            guard node.kind == .string else { return nil }
            return node.flag ? string?.utf8.count : Int(node.end - node.start)
        }

        /// Whether this is a string of 64 lowercase hexadecimal digits (a SHA-256 digest as the
        /// platforms expect it).
        public var isLowerHexSHA256: Bool {
            let node = node
            guard node.kind == .string else { return false }
            func isLowerHex(_ byte: UInt8) -> Bool { (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) }
            if node.flag { return string.map { $0.utf8.count == 64 && $0.utf8.allSatisfy(isLowerHex) } ?? false }
            guard node.end - node.start == 64 else { return false }
            return tape.bytes.withUnsafeBufferPointer { buffer in
                var valid = true
                for index in Int(node.start)..<Int(node.end) { valid = valid && isLowerHex(buffer[index]) }
                return valid
            }
        }

        /// A number's value.
        public var number: JSONNumber? {
            guard kind == .number else { return nil }
            return tape.bytes.withUnsafeBufferPointer { buffer in
                var cursor = JSONCursor(bytes: buffer, maximumDepth: 0)
                cursor.index = Int(node.start)
                return try? cursor.parseNumber()
            }
        }

        public var object: Object? { kind == .object ? Object(value: self) : nil }

        public var array: Elements? { kind == .array ? Elements(value: self) : nil }

        /// The value as a ``JSONValue`` tree.
        public var tree: JSONValue {
            switch kind {
            case .null: .null
            case .bool: .bool(node.flag)
            case .number: .number(number!)
            case .string: .string(string!)
            case .array: .array(array!.map(\.tree))
            case .object: .object(JSONObject(members: object!.members.map { ($0.key, $0.value.tree) }))
            }
        }
    }

    /// An object's members, in document order.
    public struct Object: Sendable {
        let value: Value

        public var count: Int { Int(value.node.count) }

        /// The member named `key`.
        public subscript(key: String) -> Value? {
            var position = value.index + 1
            let end = Int(value.node.next)
            let tape = value.tape
            while position < end {
                let key0 = Value(tape: tape, index: position)
                let valueIndex = position + 1
                if key0.isString(key) { return Value(tape: tape, index: valueIndex) }
                position = Int(tape.nodes[valueIndex].next)
            }
            return nil
        }

        /// The member named `key`, for a caller that looks up many fixed names (an input mapping):
        /// keys are compared as bytes in place, with no `Value` made for the keys it passes over
        /// (each would retain the tape). A key written with escapes is compared decoded.
        public func member(_ key: StaticString) -> Value? {
            let tape = value.tape
            let end = Int(value.node.next)
            let wanted = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
            let found: Int? = tape.nodes.withUnsafeBufferPointer { nodes in
                tape.bytes.withUnsafeBufferPointer { bytes in
                    var position = value.index + 1
                    while position < end {
                        let name = nodes[position]
                        if name.flag {
                            if JSONTape.text(of: name, in: bytes) == key.description { return position + 1 }
                        } else if Int(name.end - name.start) == wanted.count,
                            UnsafeBufferPointer(rebasing: bytes[Int(name.start)..<Int(name.end)]).hasSameBytes(as: wanted)
                        {
                            return position + 1
                        }
                        position = Int(nodes[position + 1].next)
                    }
                    return nil
                }
            }
            return found.map { Value(tape: tape, index: $0) }
        }

        /// The members' keys and values.
        public var members: [(key: String, value: Value)] {
            var members: [(key: String, value: Value)] = []
            members.reserveCapacity(count)
            var position = value.index + 1
            let end = Int(value.node.next)
            while position < end {
                members.append((Value(tape: value.tape, index: position).string ?? "", Value(tape: value.tape, index: position + 1)))
                position = Int(value.tape.nodes[position + 1].next)
            }
            return members
        }

        public var keys: [String] { members.map(\.key) }
    }

    /// An array's elements, in document order.
    public struct Elements: Sequence, Sendable {
        let value: Value

        public var count: Int { Int(value.node.count) }
        public var isEmpty: Bool { count == 0 }
        public var underestimatedCount: Int { count }

        /// The first element.
        public var first: Value? { isEmpty ? nil : Value(tape: value.tape, index: value.index + 1) }

        public func makeIterator() -> Iterator {
            Iterator(tape: value.tape, position: value.index + 1, end: Int(value.node.next))
        }

        public struct Iterator: IteratorProtocol {
            let tape: JSONTape
            var position: Int
            let end: Int

            public mutating func next() -> Value? {
                guard position < end else { return nil }
                defer { position = Int(tape.nodes[position].next) }
                return Value(tape: tape, index: position)
            }
        }
    }
}
