import RelayCore

/// The shape of the records on the orders topic.
public enum InputFormat: String, Sendable, CaseIterable {
    /// The relay's own contract, `schemas/order-completed.v1.json`: decoded directly (the fast path).
    case native
    /// A Segment e-commerce spec v2 "Order Completed" track call.
    case segment
    /// A Shopify Order resource, as the `orders/paid` and `orders/create` webhooks deliver it.
    case shopify
    /// Any shape, turned into the native contract by a jq program.
    case jq
}

/// Turns one record of another shape into the bytes of a native `order.completed` v1 event.
///
/// A mapping only moves and renames fields; whatever it produces then goes through the same
/// ``OrderEventDecoder`` as a native record (``MappedEventDecoder``), so the contract is checked
/// in one place. Its errors name the source's field (a JSON Pointer into the record) and the rule,
/// never a value: they end up in retry-topic headers and logs.
public protocol InputMapping: Sendable {
    var format: InputFormat { get }
    /// The native contract's JSON for `record`.
    func contractBytes(from record: [UInt8]) throws(OrderEventDecodingError) -> [UInt8]
    /// The record's field a contract field came from (`/currency` → `/properties/currency`), so
    /// that a contract violation of the mapped event names the field the producer has to fix.
    func sourcePath(forContractPath path: String) -> String
}

/// Decodes records of a configured ``InputMapping``: map, then the native decoder.
public struct MappedEventDecoder: Sendable {
    public let mapping: any InputMapping
    private let decoder = OrderEventDecoder()

    public init(mapping: any InputMapping) {
        self.mapping = mapping
    }

    public var format: InputFormat { mapping.format }

    /// The event `record` stands for, or the reason it cannot be one (naming the source's field).
    public func decode(_ record: [UInt8]) throws(OrderEventDecodingError) -> OrderEvent {
        let mapped = try mapping.contractBytes(from: record)
        do {
            return try decoder.decode(mapped)
        } catch {
            throw OrderEventDecodingError(
                kind: .schemaViolation, path: mapping.sourcePath(forContractPath: error.path),
                reason: "\(error.reason) (as \(error.path.isEmpty ? "the event" : error.path) of the \(mapping.format.rawValue) mapping)")
        }
    }
}

/// Contract paths to source paths. An entry's pattern is a JSON Pointer whose `*` segments match
/// any one segment (an array index) and are carried over; the longest matching pattern wins, and
/// segments past it are kept as they are.
struct SourcePathTable: Sendable {
    private let entries: [(pattern: [Substring], source: [Substring])]

    init(_ entries: KeyValuePairs<String, String>) {
        self.entries = entries.map { (Self.segments($0.key), Self.segments($0.value)) }.sorted { $0.pattern.count > $1.pattern.count }
    }

    private static func segments(_ pointer: String) -> [Substring] {
        pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
    }

    func sourcePath(for path: String) -> String {
        let segments = Self.segments(path)
        for entry in entries where entry.pattern.count <= segments.count {
            var wildcards: [Substring] = []
            var matches = true
            for (expected, actual) in zip(entry.pattern, segments) {
                if expected == "*" { wildcards.append(actual) } else if expected != actual { matches = false; break }
            }
            guard matches else { continue }
            var result: [Substring] = entry.source.map { $0 == "*" && !wildcards.isEmpty ? wildcards.removeFirst() : $0 }
            result += segments.dropFirst(entry.pattern.count)
            return result.map { "/" + $0 }.joined()
        }
        return path
    }
}
