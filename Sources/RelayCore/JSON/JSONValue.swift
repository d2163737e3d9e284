/// A parsed JSON document.
///
/// Numbers keep their literal text so that a value such as `129.90` is re-emitted exactly as the
/// producer wrote it (no binary floating point round trip), which keeps every payload we build a
/// deterministic function of the input event.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Whether this is `null` (a case test, not an `Equatable` comparison of two values).
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// What the value is, in the tape's terms.
    public var kind: JSONTape.Kind {
        switch self {
        case .null: .null
        case .bool: .bool
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// The JSON type name as JSON Schema spells it, for error messages.
    public var typeName: String { kind.typeName }
}

/// A JSON number: its literal text and its value as a `Double`.
public struct JSONNumber: Sendable, Equatable, Hashable {
    /// The literal exactly as written in the document (valid JSON number syntax).
    public let literal: String
    /// The value, always finite.
    public let double: Double

    public init(literal: String, double: Double) {
        self.literal = literal
        self.double = double
    }

    /// Creates a number from a finite `Double`, formatted the shortest way that round-trips.
    public init(_ value: Double) {
        precondition(value.isFinite, "JSON numbers are finite")
        self.double = value
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            self.literal = String(Int64(value))
        } else {
            self.literal = "\(value)"
        }
    }

    /// The value as an integer when it has no fractional part (JSON Schema's notion of "integer").
    public var integer: Int64? { Self.integer(of: double) }

    /// ``integer`` of a number's value.
    static func integer(of double: Double) -> Int64? {
        guard double == double.rounded(.towardZero), abs(double) <= 9_007_199_254_740_992 else { return nil }
        return Int64(double)
    }
}

/// A JSON object with its members in document order. Keys are unique (the parser rejects duplicates).
public struct JSONObject: Sendable, Equatable {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init(members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        Self.index(of: key, in: members).map { members[$0].value }
    }

    /// Where `key` is among `members`. Byte counts are compared first, so a mismatch costs one
    /// integer compare rather than a string compare; members are read in place (a
    /// `for member in members` copy retains and releases each).
    static func index(of key: String, in members: [(key: String, value: JSONValue)]) -> Int? {
        let length = key.utf8.count
        return members.withUnsafeBufferPointer { members in
            members.indices.first { members[$0].key.utf8.count == length && members[$0].key == key }
        }
    }

    public var keys: [String] { members.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
