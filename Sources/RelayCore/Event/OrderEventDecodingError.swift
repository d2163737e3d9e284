/// Why a Kafka record is not a valid `order.completed` v1 event.
///
/// The message names the JSON location and the rule that failed, never the offending value, so it
/// is safe to put into logs and retry-topic headers even when the field held an email address.
public struct OrderEventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The coarse class that goes into the `error_class` header and metrics.
    public enum Kind: String, Sendable {
        /// The record is not JSON (or not acceptable JSON: invalid UTF-8, duplicate keys, too deep).
        case malformedJSON = "malformed_json"
        /// The record is JSON but breaks the event contract.
        case schemaViolation = "schema_violation"
    }

    public let kind: Kind
    /// JSON Pointer to the failing location (`""` for the document).
    public let path: String
    public let reason: String

    public init(kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}
