/// The Kafka headers that travel with a record written to the retry or dead-letter topic.
///
/// Modelled on Kafka Connect's dead-letter context headers: where the record came from, why it
/// failed, which destination (if only one) still needs it, how many attempts were made and when
/// it was first seen. The record value is the original bytes, unchanged, so a replay after a fix
/// is byte-identical to the first delivery attempt.
public struct RetryEnvelope: Sendable, Equatable {
    public enum HeaderName {
        public static let originalTopic = "relay.original.topic"
        public static let originalPartition = "relay.original.partition"
        public static let originalOffset = "relay.original.offset"
        public static let errorClass = "relay.error.class"
        public static let errorReason = "relay.error.reason"
        public static let destination = "relay.destination"
        public static let attempt = "relay.attempt"
        public static let firstSeen = "relay.first.seen"
        public static let notBefore = "relay.not.before"
        public static let history = "relay.history"
        public static let valueOmitted = "relay.value.omitted"
    }

    public var origin: RecordPosition
    /// Coarse class: `malformed_json`, `schema_violation`, `rejected`, `too_old`, …
    public var errorClass: String
    /// Human-readable reason. Must never contain PII: callers pass decoder and classifier messages,
    /// which name fields and rules, never values.
    public var reason: String
    /// The one destination this record is for, or `nil` for all destinations.
    public var destination: String?
    /// 1 for the first failure.
    public var attempt: Int
    /// When the relay first saw the record, as milliseconds since the Unix epoch.
    public var firstSeenMilliseconds: Int64
    /// The retry consumer holds the record until this time (epoch milliseconds).
    public var notBeforeMilliseconds: Int64?
    /// Every earlier failure, oldest first: `attempt|error_class|reason` entries separated by `;`.
    public var history: String?
    /// Set when the original value was too large to copy: its size in bytes. The record then
    /// carries no value; the original stays in the source topic at ``origin``.
    public var valueOmittedBytes: Int?

    public init(
        origin: RecordPosition, errorClass: String, reason: String, destination: String? = nil, attempt: Int = 1,
        firstSeenMilliseconds: Int64, notBeforeMilliseconds: Int64? = nil, history: String? = nil
    ) {
        self.origin = origin
        self.errorClass = errorClass
        self.reason = reason
        self.destination = destination
        self.attempt = attempt
        self.firstSeenMilliseconds = firstSeenMilliseconds
        self.notBeforeMilliseconds = notBeforeMilliseconds
        self.history = history
    }

    /// The envelope for the next failure of the same record: same origin and first-seen time,
    /// attempt + 1, this failure appended to the history.
    public func next(errorClass: String, reason: String, destination: String?, notBeforeMilliseconds: Int64?) -> RetryEnvelope {
        let entry = "\(attempt)|\(self.errorClass)|\(self.reason.replacing(";", with: ","))"
        return RetryEnvelope(
            origin: origin, errorClass: errorClass, reason: reason, destination: destination, attempt: attempt + 1,
            firstSeenMilliseconds: firstSeenMilliseconds, notBeforeMilliseconds: notBeforeMilliseconds,
            history: history.map { "\($0);\(entry)" } ?? entry)
    }

    /// Headers in a fixed order, values as UTF-8.
    public var headers: [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            (HeaderName.originalTopic, origin.topicPartition.topic),
            (HeaderName.originalPartition, String(origin.topicPartition.partition)),
            (HeaderName.originalOffset, String(origin.offset)),
            (HeaderName.errorClass, errorClass),
            (HeaderName.errorReason, reason),
            (HeaderName.attempt, String(attempt)),
            (HeaderName.firstSeen, String(firstSeenMilliseconds)),
        ]
        if let destination { headers.append((HeaderName.destination, destination)) }
        if let notBeforeMilliseconds { headers.append((HeaderName.notBefore, String(notBeforeMilliseconds))) }
        if let history { headers.append((HeaderName.history, history)) }
        if let valueOmittedBytes { headers.append((HeaderName.valueOmitted, String(valueOmittedBytes))) }
        return headers
    }

    /// Reads an envelope back from headers; `nil` when a required header is missing or malformed.
    public init?(headers: [(name: String, value: String)]) {
        func value(_ name: String) -> String? { headers.last { $0.name == name }?.value }
        guard let topic = value(HeaderName.originalTopic),
            let partition = value(HeaderName.originalPartition).flatMap({ Int32($0) }),
            let offset = value(HeaderName.originalOffset).flatMap({ Int64($0) }),
            let errorClass = value(HeaderName.errorClass),
            let attempt = value(HeaderName.attempt).flatMap({ Int($0) }),
            let firstSeen = value(HeaderName.firstSeen).flatMap({ Int64($0) })
        else { return nil }
        self.init(
            origin: RecordPosition(topicPartition: TopicPartition(topic: topic, partition: partition), offset: offset),
            errorClass: errorClass, reason: value(HeaderName.errorReason) ?? "",
            destination: value(HeaderName.destination), attempt: attempt, firstSeenMilliseconds: firstSeen,
            notBeforeMilliseconds: value(HeaderName.notBefore).flatMap { Int64($0) }, history: value(HeaderName.history))
        valueOmittedBytes = value(HeaderName.valueOmitted).flatMap { Int($0) }
    }
}
