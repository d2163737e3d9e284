/// Every metric the relay exports, with its label names and meaning: the one list that
/// ``RelayTelemetry`` registers from (it refuses, in debug builds, a name or label set not listed
/// here) and that docs/operations.md's metrics table is checked against (MetricsDocumentationTests).
public struct RelayMetric: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public var name: String
    public var kind: Kind
    public var labels: [String]
    public var help: String
}

public enum RelayMetricCatalogue {
    private static let destination = ["destination", "store"]

    public static let all: [RelayMetric] = [
        .init(name: "conversion_relay_events_consumed_total", kind: .counter, labels: [], help: "records read from the orders topic"),
        .init(name: "conversion_relay_events_decoded_total", kind: .counter, labels: [], help: "records that were valid `order.completed` events"),
        .init(name: "conversion_relay_events_poison_total", kind: .counter, labels: ["error_class"], help: "records that were not (sent to the retry topic)"),
        .init(name: "conversion_relay_destination_events_encoded_total", kind: .counter, labels: destination, help: "events encoded for a destination"),
        .init(
            name: "conversion_relay_destination_identifier_events_total", kind: .counter, labels: destination + ["identifier"],
            help: "events carrying an `email`, `phone` or `click_id` (match quality); `phone_invalid`: a phone given but not sent, not a possible number"),
        .init(
            name: "conversion_relay_destination_events_excluded_total", kind: .counter, labels: destination + ["reason"],
            help: "events deliberately not sent (no consent, too old, missing what the platform requires)"),
        .init(name: "conversion_relay_destination_requests_total", kind: .counter, labels: destination, help: "requests sent"),
        .init(name: "conversion_relay_destination_events_sent_total", kind: .counter, labels: destination, help: "events in the requests sent"),
        .init(name: "conversion_relay_destination_batch_size", kind: .histogram, labels: destination, help: "events per request"),
        .init(name: "conversion_relay_destination_request_duration_seconds", kind: .histogram, labels: destination, help: "request latency"),
        .init(name: "conversion_relay_destination_events_acked_total", kind: .counter, labels: destination, help: "events the platform acknowledged"),
        .init(name: "conversion_relay_destination_requests_retried_total", kind: .counter, labels: destination, help: "requests retried (throttling, 5xx, network)"),
        .init(
            name: "conversion_relay_destination_events_rejected_total", kind: .counter, labels: destination + ["error_class"],
            help: "events the platform refused (`auth`, `permission`, `invalid_event`, `configuration`, `http_<status>`, ...)"),
        .init(
            name: "conversion_relay_destination_request_status_lookups_total", kind: .counter, labels: ["destination", "error_class"],
            help: "sampled Google `requestStatus:retrieve` lookups, by outcome (`success`, `partial_success`, `failed`, `processing`, `lookup_failed`, `still_processing`)"),
        .init(
            name: "conversion_relay_destination_events_failed_after_acceptance_total", kind: .counter, labels: ["destination", "error_class"],
            help: "events of sampled requests the platform refused after accepting the request, by its reason (`denied_consent`, `invalid_gclid`, `event_too_old`, ...)"),
        .init(
            name: "conversion_relay_destination_events_handed_to_retry_topic_total", kind: .counter, labels: destination,
            help: "events parked in the retry topic for that destination"),
        .init(name: "conversion_relay_destination_events_dead_lettered_total", kind: .counter, labels: destination, help: "events written to the dead-letter topic"),
        .init(name: "conversion_relay_retry_topic_writes_total", kind: .counter, labels: [], help: "poison records written to the retry topic"),
        .init(name: "conversion_relay_destination_in_flight_events", kind: .gauge, labels: destination, help: "events not yet settled for a destination"),
        .init(name: "conversion_relay_in_flight_bytes", kind: .gauge, labels: [], help: "bytes held for unsettled events (what backpressure compares)"),
        .init(name: "conversion_relay_resident_memory_bytes", kind: .gauge, labels: [], help: "the process's resident memory"),
        .init(name: "conversion_relay_memory_budget_bytes", kind: .gauge, labels: [], help: "`delivery.memory_budget_mb`, in bytes (`conversion-relay run`/`retry`)"),
        .init(name: "conversion_relay_backpressure_pauses_total", kind: .counter, labels: [], help: "times backpressure held or paused consumption"),
        .init(name: "conversion_relay_rebalances_total", kind: .counter, labels: ["kind"], help: "rebalance callbacks: `assigned`, `revoked`, `lost`"),
        .init(name: "conversion_relay_revoke_commit_failures_total", kind: .counter, labels: [], help: "commits on revoke the coordinator refused"),
        .init(
            name: "conversion_relay_partitions_resumed_past_uncommitted_total", kind: .counter, labels: [],
            help: "partitions that came back after a refused commit and resumed past what was settled"),
        .init(
            name: "conversion_relay_read_ahead_events", kind: .gauge, labels: [],
            help: "offsets read past the settled frontiers, all assigned partitions together (bounded by `delivery.read_ahead_events`)"),
        .init(
            name: "conversion_relay_read_ahead_window_full_seconds_total", kind: .counter, labels: [],
            help: "time consumption waited because the read-ahead window was full"),
        .init(name: "conversion_relay_kafka_fetch_wakeups_total", kind: .counter, labels: [], help: "fetcher wake-ups (librdkafka before 2.2)"),
        .init(name: "conversion_relay_offset_store_stale_total", kind: .counter, labels: [], help: "offset stores refused for partitions no longer assigned"),
        .init(name: "conversion_relay_offset_commits_total", kind: .counter, labels: [], help: "offset commits"),
        .init(name: "conversion_relay_offset_commit_failures_total", kind: .counter, labels: [], help: "offset commits refused"),
        .init(name: "conversion_relay_partition_lag", kind: .gauge, labels: ["topic", "partition"], help: "consumer lag of an owned partition"),
        .init(name: "conversion_relay_partition_stored_offset", kind: .gauge, labels: ["topic", "partition"], help: "offset stored for the next commit"),
        .init(name: "conversion_relay_partition_committed_offset", kind: .gauge, labels: ["topic", "partition"], help: "last committed offset"),
        .init(name: "conversion_relay_partitions_assigned", kind: .gauge, labels: ["role"], help: "partitions assigned, per consumer (`main`, `retry`)"),
        .init(
            name: "conversion_relay_partitions_paused", kind: .gauge, labels: ["role"],
            help: "partitions paused (`main`: backpressure; `retry`: waiting for records to be due, by design)"),
    ]

    /// Whether `name` with these label names (in this order) is in the catalogue.
    public static func contains(_ name: String, labels: [String]) -> Bool {
        all.contains { $0.name == name && $0.labels == labels }
    }
}
