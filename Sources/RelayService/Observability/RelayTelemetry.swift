import CoreMetrics
import Prometheus
import RelayCore
import Synchronization

/// Every count the relay keeps, in one place: a ``RelayStatistics`` snapshot (the demo, tests)
/// and Prometheus metrics (`/metrics`) are updated together.
///
/// Labels are low-cardinality by construction: destination names, stores from the configuration,
/// reason classes, topics and partitions. Never an order id, event id or identifier.
public final class RelayTelemetry: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let statisticsBox = Mutex(RelayStatistics())
    private let metrics = Mutex(MetricObjects())

    /// Metric objects by name and labels, created once.
    private struct MetricObjects {
        var counters: [String: CoreMetrics.Counter] = [:]
        var floatingPointCounters: [String: CoreMetrics.FloatingPointCounter] = [:]
        var gauges: [String: CoreMetrics.Gauge] = [:]
        var timers: [String: CoreMetrics.Timer] = [:]
        var recorders: [String: CoreMetrics.Recorder] = [:]
        /// The same objects again, by the value they are labelled with: what is updated every
        /// tick or every second is found without building a label key string (see
        /// ``PartitionGauges``, ``LaneCounters``).
        var partitionGauges: [TopicPartition: PartitionGauges] = [:]
        var laneCounters: [DestinationLabel: LaneCounters] = [:]
        var laneDeliveryMetrics: [DestinationLabel: LaneDeliveryMetrics] = [:]
    }

    /// One partition's gauges (updated for every assigned partition every second).
    private struct PartitionGauges {
        var lag: CoreMetrics.Gauge
        var stored: CoreMetrics.Gauge
    }

    /// One lane's ingest counters (``publish(_:lanes:)``, every poll-loop tick with events).
    private struct LaneCounters {
        var encoded: CoreMetrics.Counter
        var email: CoreMetrics.Counter
        var phone: CoreMetrics.Counter
        var invalidPhone: CoreMetrics.Counter
        var clickID: CoreMetrics.Counter
    }

    /// One lane's request metrics (every request and acknowledgement: building their label keys
    /// per request cost more than the updates themselves).
    private struct LaneDeliveryMetrics {
        var requests: CoreMetrics.Counter
        var eventsSent: CoreMetrics.Counter
        var batchSize: CoreMetrics.Recorder
        var duration: CoreMetrics.Timer
        var acknowledged: CoreMetrics.Counter
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["conversion_relay_destination_request_duration_seconds"] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        factory.valueHistogramBuckets["conversion_relay_destination_batch_size"] = [1, 5, 10, 50, 100, 250, 500, 1000, 2000]
        self.factory = factory
    }

    public var statistics: RelayStatistics { statisticsBox.withLock { $0 } }

    /// The Prometheus text exposition of every metric.
    public func prometheusText() -> String { registry.emitToString() }

    // MARK: - Events

    func consumed(valid: Bool) {
        statisticsBox.withLock {
            $0.consumed += 1
            if valid { $0.valid += 1 }
        }
        counter("conversion_relay_events_consumed_total").increment()
        if valid { counter("conversion_relay_events_decoded_total").increment() }
    }

    func poison(errorClass: String) {
        statisticsBox.withLock { $0.poison += 1 }
        counter("conversion_relay_events_poison_total", [("error_class", errorClass)]).increment()
    }

    /// Publishes what the poll thread counted since the last call: valid events, and per lane the
    /// events encoded, which match keys they carried (the drivers of match quality), and the
    /// exclusions. One lock and one lookup per label set per call, not per event.
    func publish(_ tally: IngestTally, lanes: [DestinationLabel]) {
        guard tally.valid > 0 else { return }
        statisticsBox.withLock { statistics in
            statistics.consumed += tally.valid
            statistics.valid += tally.valid
            for (index, lane) in lanes.enumerated() {
                for (reason, count) in tally.lanes[index].excluded {
                    statistics.excluded[lane.platform, default: [:]][reason, default: 0] += count
                }
            }
        }
        counter("conversion_relay_events_consumed_total").increment(by: tally.valid)
        counter("conversion_relay_events_decoded_total").increment(by: tally.valid)
        for (index, lane) in lanes.enumerated() {
            let counters = laneCounters(lane)
            let counts = tally.lanes[index]
            if counts.encoded > 0 { counters.encoded.increment(by: counts.encoded) }
            if counts.email > 0 { counters.email.increment(by: counts.email) }
            if counts.phone > 0 { counters.phone.increment(by: counts.phone) }
            if counts.invalidPhone > 0 { counters.invalidPhone.increment(by: counts.invalidPhone) }
            if counts.clickID > 0 { counters.clickID.increment(by: counts.clickID) }
            for (reason, count) in counts.excluded {
                counter("conversion_relay_destination_events_excluded_total", lane.labels + [("reason", reason)]).increment(by: count)
            }
        }
    }

    private func laneCounters(_ lane: DestinationLabel) -> LaneCounters {
        if let counters = metrics.withLock({ $0.laneCounters[lane] }) { return counters }
        let labels = lane.labels
        let identifiers = "conversion_relay_destination_identifier_events_total"
        let counters = LaneCounters(
            encoded: counter("conversion_relay_destination_events_encoded_total", labels),
            email: counter(identifiers, labels + [("identifier", "email")]),
            phone: counter(identifiers, labels + [("identifier", "phone")]),
            invalidPhone: counter(identifiers, labels + [("identifier", "phone_invalid")]),
            clickID: counter(identifiers, labels + [("identifier", "click_id")]))
        metrics.withLock { $0.laneCounters[lane] = counters }
        return counters
    }

    // MARK: - Delivery

    func requestSent(_ destination: DestinationLabel, events: Int) {
        statisticsBox.withLock { $0.requests[destination.platform, default: 0] += 1 }
        let metrics = deliveryMetrics(destination)
        metrics.requests.increment()
        metrics.eventsSent.increment(by: events)
        metrics.batchSize.record(events)
    }

    func requestFinished(_ destination: DestinationLabel, duration: Duration) {
        deliveryMetrics(destination).duration.recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func delivered(_ destination: DestinationLabel, events: Int) {
        statisticsBox.withLock { $0.delivered[destination.platform, default: 0] += events }
        deliveryMetrics(destination).acknowledged.increment(by: events)
    }

    private func deliveryMetrics(_ lane: DestinationLabel) -> LaneDeliveryMetrics {
        if let existing = metrics.withLock({ $0.laneDeliveryMetrics[lane] }) { return existing }
        let labels = lane.labels
        let created = LaneDeliveryMetrics(
            requests: counter("conversion_relay_destination_requests_total", labels),
            eventsSent: counter("conversion_relay_destination_events_sent_total", labels),
            batchSize: recorder("conversion_relay_destination_batch_size", labels),
            duration: timer("conversion_relay_destination_request_duration_seconds", labels),
            acknowledged: counter("conversion_relay_destination_events_acked_total", labels))
        metrics.withLock { $0.laneDeliveryMetrics[lane] = created }
        return created
    }

    func retried(_ destination: DestinationLabel) {
        statisticsBox.withLock { $0.retries[destination.platform, default: 0] += 1 }
        counter("conversion_relay_destination_requests_retried_total", destination.labels).increment()
    }

    func rejected(_ destination: DestinationLabel, errorClass: String, events: Int) {
        counter("conversion_relay_destination_events_rejected_total", destination.labels + [("error_class", errorClass)])
            .increment(by: events)
    }

    func handedToRetryTopic(_ destination: DestinationLabel) {
        statisticsBox.withLock {
            $0.retryTopicWrites += 1
            $0.handedToRetryTopic[destination.platform, default: 0] += 1
        }
        counter("conversion_relay_destination_events_handed_to_retry_topic_total", destination.labels).increment()
    }

    func deadLettered(_ destination: DestinationLabel) {
        statisticsBox.withLock {
            $0.deadLetterTopicWrites += 1
            $0.deadLettered[destination.platform, default: 0] += 1
        }
        counter("conversion_relay_destination_events_dead_lettered_total", destination.labels).increment()
    }

    func poisonWrittenToRetryTopic() {
        statisticsBox.withLock { $0.retryTopicWrites += 1 }
        counter("conversion_relay_retry_topic_writes_total").increment()
    }

    func inFlight(_ destination: DestinationLabel, events: Int) {
        gauge("conversion_relay_destination_in_flight_events", destination.labels).record(events)
    }

    /// Bytes held for unsettled events (what the memory budget's watermarks compare), and the
    /// process's resident memory (to compare with the budget).
    func memory(inFlightBytes: Int, residentBytes: Int?) {
        gauge("conversion_relay_in_flight_bytes", []).record(inFlightBytes)
        if let residentBytes { gauge("conversion_relay_resident_memory_bytes", []).record(residentBytes) }
    }

    /// The configured `delivery.memory_budget_mb`, to compare resident memory with (dashboard, alert).
    public func memoryBudget(megabytes: Int) {
        gauge("conversion_relay_memory_budget_bytes", []).record(megabytes << 20)
    }

    /// Backpressure paused consumption (once per pause, not per partition).
    func backpressurePaused() {
        statisticsBox.withLock { $0.backpressurePauses += 1 }
        counter("conversion_relay_backpressure_pauses_total").increment()
    }

    /// One `requestStatus:retrieve` lookup of a sampled Google request and its outcome class
    /// (`success`, `partial_success`, `failed`, `processing`, `lookup_failed`, `still_processing`, …).
    func requestStatusLookedUp(destination: String, outcome: String) {
        counter("conversion_relay_destination_request_status_lookups_total", [("destination", destination), ("error_class", outcome)])
            .increment()
    }

    /// Events of a sampled request that the platform refused after accepting the request, by the
    /// platform's reason (`event_too_old`, `denied_consent`, `invalid_gclid`, …).
    func eventsFailedAfterAcceptance(destination: String, errorClass: String, count: Int) {
        counter("conversion_relay_destination_events_failed_after_acceptance_total", [("destination", destination), ("error_class", errorClass)])
            .increment(by: count)
    }

    // MARK: - Kafka

    /// A rebalance callback: partitions `assigned`, `revoked` (drained, frontier stored), or
    /// `lost` (session timed out: state dropped without storing).
    func rebalance(_ kind: String) {
        statisticsBox.withLock { $0.rebalances[kind, default: 0] += 1 }
        counter("conversion_relay_rebalances_total", [("kind", kind)]).increment()
    }

    /// The commit on revoke was refused (see ``RelayStatistics/revokeCommitFailures``).
    func revokeCommitFailed() {
        statisticsBox.withLock { $0.revokeCommitFailures += 1 }
        counter("conversion_relay_revoke_commit_failures_total").increment()
    }

    /// Partitions that came back after a refused commit on revoke and resumed past what this
    /// member had settled (see ``RelayStatistics/partitionsResumedPastUncommitted``).
    func resumedPastUncommitted(_ partitions: Int) {
        statisticsBox.withLock { $0.partitionsResumedPastUncommitted += partitions }
        counter("conversion_relay_partitions_resumed_past_uncommitted_total").increment(by: partitions)
    }

    /// How far consumption ran ahead of the settled frontiers (every second), to compare with
    /// `delivery.read_ahead_events`.
    func readAhead(events: Int64) {
        gauge("conversion_relay_read_ahead_events").record(events)
    }

    /// The poll loop took no records for `milliseconds` because the read-ahead window was full
    /// (once per wait, when it ends).
    func readAheadWindowFull(milliseconds: Int64) {
        guard milliseconds > 0 else { return }
        floatingPointCounter("conversion_relay_read_ahead_window_full_seconds_total").increment(by: Double(milliseconds) / 1_000)
    }

    /// Requests sent to wake librdkafka's fetchers after the consumer emptied a full queue
    /// (librdkafka before 2.2, see `FetchWaker` in RelayKafka).
    func fetchWakeUps(_ count: Int) {
        guard count > 0 else { return }
        counter("conversion_relay_kafka_fetch_wakeups_total").increment(by: count)
    }

    func staleOffsetStore() {
        statisticsBox.withLock { $0.staleOffsetStores += 1 }
        counter("conversion_relay_offset_store_stale_total").increment()
    }

    func offsetCommit(succeeded: Bool) {
        counter(succeeded ? "conversion_relay_offset_commits_total" : "conversion_relay_offset_commit_failures_total").increment()
    }

    func partition(_ partition: TopicPartition, lag: Int64?, stored: Int64?) {
        guard lag != nil || stored != nil else { return }
        var gauges = metrics.withLock { $0.partitionGauges[partition] }
        if gauges == nil {
            let labels = [("topic", partition.topic), ("partition", String(partition.partition))]
            let made = PartitionGauges(
                lag: gauge("conversion_relay_partition_lag", labels), stored: gauge("conversion_relay_partition_stored_offset", labels))
            metrics.withLock { $0.partitionGauges[partition] = made }
            gauges = made
        }
        if let lag { gauges?.lag.record(lag) }
        if let stored { gauges?.stored.record(stored) }
    }

    func committed(_ partition: TopicPartition, offset: Int64) {
        gauge("conversion_relay_partition_committed_offset", [("topic", partition.topic), ("partition", String(partition.partition))])
            .record(offset)
    }

    /// Drops the series of partitions this member no longer owns (their lag belongs to someone else now).
    func forget(_ partition: TopicPartition) {
        let labels = [("topic", partition.topic), ("partition", String(partition.partition))]
        metrics.withLock { _ = $0.partitionGauges.removeValue(forKey: partition) }
        for name in ["conversion_relay_partition_lag", "conversion_relay_partition_stored_offset", "conversion_relay_partition_committed_offset"] {
            let key = Self.key(name, labels)
            metrics.withLock { $0.gauges.removeValue(forKey: key) }?.destroy()
        }
    }

    func assignment(role: String, assigned: Int, paused: Int) {
        gauge("conversion_relay_partitions_assigned", [("role", role)]).record(assigned)
        gauge("conversion_relay_partitions_paused", [("role", role)]).record(paused)
    }

    // MARK: - Metric objects, created once per name and labels

    private static func key(_ name: String, _ labels: [(String, String)]) -> String {
        labels.reduce(name) { $0 + "|" + $1.0 + "=" + $1.1 }
    }

    private func cached<Metric: Sendable>(
        _ objects: WritableKeyPath<MetricObjects, [String: Metric]>, _ name: String, _ labels: [(String, String)],
        make: () -> Metric
    ) -> Metric {
        let key = Self.key(name, labels)
        return metrics.withLock { metrics in
            if let existing = metrics[keyPath: objects][key] { return existing }
            assert(RelayMetricCatalogue.contains(name, labels: labels.map(\.0)), "\(name) \(labels.map(\.0)): not in RelayMetricCatalogue")
            let created = make()
            metrics[keyPath: objects][key] = created
            return created
        }
    }

    private func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
        cached(\.counters, name, labels) { CoreMetrics.Counter(label: name, dimensions: labels, factory: factory) }
    }

    private func floatingPointCounter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.FloatingPointCounter {
        cached(\.floatingPointCounters, name, labels) { CoreMetrics.FloatingPointCounter(label: name, dimensions: labels, factory: factory) }
    }

    private func gauge(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Gauge {
        cached(\.gauges, name, labels) { CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory) }
    }

    private func timer(_ name: String, _ labels: [(String, String)]) -> CoreMetrics.Timer {
        cached(\.timers, name, labels) { CoreMetrics.Timer(label: name, dimensions: labels, factory: factory) }
    }

    private func recorder(_ name: String, _ labels: [(String, String)]) -> CoreMetrics.Recorder {
        cached(\.recorders, name, labels) {
            CoreMetrics.Recorder(label: name, dimensions: labels, aggregate: true, factory: factory)
        }
    }
}

/// How a destination appears in metrics: its platform and (with multi-store routing) its store.
struct DestinationLabel: Sendable, Hashable {
    var platform: String
    var store: String

    var labels: [(String, String)] { [("destination", platform), ("store", store)] }
}

/// Per-event counts the poll thread keeps between two ``RelayTelemetry/publish(_:lanes:)`` calls
/// (every lane count belongs to a valid event, so no valid event means nothing to publish).
struct IngestTally {
    /// One lane's counts: the events encoded for it, the match keys they carried, the exclusions.
    struct Lane: Equatable {
        var encoded = 0
        var email = 0
        var phone = 0
        /// Events whose phone was given but left out as not a possible number (identifier `phone_invalid`).
        var invalidPhone = 0
        var clickID = 0
        var excluded: [String: Int] = [:]
    }

    var valid = 0
    /// By lane index.
    private(set) var lanes: [Lane]

    init(lanes: Int) {
        self.lanes = Array(repeating: Lane(), count: lanes)
    }

    /// Counts one event encoded for `lane` with the match keys of `coverage`: one access to the
    /// lane's counts, not one per count.
    mutating func countEncoded(lane: Int, coverage: PreparedRecord.Coverage) {
        lanes[lane].add(coverage)
    }

    /// Counts one event excluded from `lane` for `reason`.
    mutating func countExcluded(lane: Int, reason: String) {
        lanes[lane].excluded[reason, default: 0] += 1
    }

    /// Back to no counts, keeping the storage.
    mutating func reset() {
        valid = 0
        for index in lanes.indices { lanes[index] = Lane() }
    }
}

extension IngestTally.Lane {
    fileprivate mutating func add(_ coverage: PreparedRecord.Coverage) {
        encoded += 1
        if coverage.contains(.email) { email += 1 }
        if coverage.contains(.phone) { phone += 1 }
        if coverage.contains(.invalidPhone) { invalidPhone += 1 }
        if coverage.contains(.clickID) { clickID += 1 }
    }
}
