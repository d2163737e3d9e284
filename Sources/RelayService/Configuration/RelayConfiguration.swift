import Foundation
import Logging
import RelayCore
import RelayDestinations
import RelayInput

/// Everything the relay needs to run, as plain values. Built from a YAML file by
/// ``ConfigurationLoader`` or directly in code (tests, the demo).
public struct RelayConfiguration: Sendable {
    public var kafka: KafkaSettings
    /// The shape of the records on the orders topic (`input`): native unless configured.
    public var input = InputSettings.native
    public var eventIDTemplate: EventIDTemplate = .orderID
    public var delivery = DeliverySettings()
    /// The destinations for events without a `store_id` (and, by default, for unknown stores).
    public var destinations = DestinationSettings()
    /// Per-store destination accounts, selected by the event's `store_id`.
    public var stores: [String: DestinationSettings] = [:]
    /// What happens to an event whose `store_id` has no entry in ``stores``.
    public var unknownStorePolicy: UnknownStorePolicy = .useDefaultDestinations
    public var retry = RetrySettings()
    public var observability = ObservabilitySettings()
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .automatic

    public init(kafka: KafkaSettings) {
        self.kafka = kafka
    }
}

/// The retry-topic consumer: when records handed to the retry topic are tried again, and when
/// they are given up on (moved to the dead-letter topic).
public struct RetrySettings: Sendable {
    /// Run the retry consumer inside `conversion-relay run` (otherwise run `conversion-relay retry`).
    public var inProcess = true
    /// Wait before attempt n+1 is `delaysSeconds[n-1]` (the last value repeats).
    public var delaysSeconds: [Int] = [60, 300, 1800, 7200, 21_600]
    /// Attempts in all (the first, by the main consumer, included) before the dead-letter topic.
    public var maximumAttempts = 6
    /// Oldest a record may get, from when the relay first saw it, before the dead-letter topic.
    /// Shorter than the strictest platform's oldest accepted event (Meta: 7 days).
    public var horizonSeconds = 5 * 86_400
    /// The retry consumer's group: `<group_id><suffix>`.
    public var groupSuffix = "-retry"

    public init() {}

    /// How long to wait before `attempt` (2, 3, …).
    public func delayMilliseconds(beforeAttempt attempt: Int) -> Int64 {
        guard !delaysSeconds.isEmpty else { return 0 }
        return Int64(delaysSeconds[min(max(attempt - 2, 0), delaysSeconds.count - 1)]) * 1000
    }
}

/// Routing of events whose store is not configured.
public enum UnknownStorePolicy: String, Sendable {
    /// Send them to the top-level `destinations`.
    case useDefaultDestinations = "default"
    /// Write them to the dead-letter topic with reason `unknown_store`.
    case deadLetter = "dead_letter"
}

/// The HTTP listener for `/metrics`, `/healthz` and `/readyz`.
public struct ObservabilitySettings: Sendable {
    /// `nil` disables the listener.
    public var host: String? = "0.0.0.0"
    public var port = 9464

    public init() {}
}

/// How log lines are written to standard error.
public enum LogFormat: String, Sendable {
    /// One JSON object per line (for log collectors).
    case json
    /// Human-readable lines.
    case text
    /// JSON unless standard error is a terminal.
    case automatic = "auto"
}

/// Where to read orders and where failed records go.
public struct KafkaSettings: Sendable {
    public var bootstrapServers: String
    public var groupID: String = "conversion-relay"
    public var topic: String = "orders"
    /// Poison records and events a destination rejected. Default `<topic>.conversion-retry`.
    public var retryTopic: String?
    /// Records that must not be retried (too old, missing required fields). Default `<topic>.conversion-dlq`.
    public var deadLetterTopic: String?
    /// librdkafka properties passed through to both consumer and producer (SASL, SSL, …).
    public var properties: [String: String] = [:]
    /// librdkafka properties for the consumer only (`session.timeout.ms`, …).
    public var consumerProperties: [String: String] = [:]
    /// librdkafka properties for the retry/dead-letter producer only.
    public var producerProperties: [String: String] = [:]
    /// Longest wait, on revoke, for in-flight work of the revoked partitions before they are
    /// released (well under `max.poll.interval.ms`).
    public var revokeDrainTimeoutMilliseconds = 10_000
    /// Longest wait on shutdown for in-flight work before the final commit.
    public var shutdownDrainTimeoutMilliseconds = 20_000

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    public var effectiveRetryTopic: String { retryTopic ?? "\(topic).conversion-retry" }
    public var effectiveDeadLetterTopic: String { deadLetterTopic ?? "\(topic).conversion-dlq" }
}

/// How hard the relay tries before handing an event to the retry topic, and how much it keeps in flight.
public struct DeliverySettings: Sendable {
    /// Attempts per batch for retryable failures (throttling, 5xx, network) before the events
    /// are written to the retry topic for that destination.
    public var maximumAttempts = 6
    public var initialBackoffMilliseconds = 200
    public var maximumBackoffMilliseconds = 30_000
    /// Concurrent requests per destination.
    public var maximumConcurrentRequests = 4
    /// An event that has not succeeded at a destination within this time is handed to the retry
    /// topic for that destination, so one failing platform never holds the partition's commit.
    public var handoffAfterMilliseconds = 120_000
    /// Events accepted but not yet settled, per destination, above which consumption pauses…
    public var highWatermarkEvents = 20_000
    /// …and below which it resumes.
    public var lowWatermarkEvents = 10_000
    /// Offsets the relay may read past its settled frontiers, all assigned partitions together
    /// (``ReadAheadWindow``): what a crashed relay repeats beyond what was settled since the last
    /// commit, and, by Little's law, the throughput's ceiling (this many events per time from read
    /// to settled). `nil` (the default): four of the largest batch any destination sends, 8,000
    /// with Google's or Snapchat's 2,000 (``ReadAheadWindow/Limits/defaultEvents(largestBatch:)``).
    public var readAheadEvents: Int? = nil
    /// Resident memory the relay is sized for, in MiB. A fixed part is the idle process
    /// (``DeliverySettings/idleMegabytes``); of the rest, an eighth is librdkafka's prefetch queue
    /// (`queued.max.messages.kbytes`, unless set explicitly), consumption pauses when unsettled
    /// events hold three eighths and resumes under three quarters of that (a narrow band, so the
    /// destinations stay busy while the relay is at its budget), and the remaining half covers
    /// what surrounds those bytes (allocator overhead, curl's buffers, a fetch beyond a full
    /// queue; measured with the backlog scenario and the benchmark harness). Set the container's
    /// memory limit at or above it.
    ///
    /// With librdkafka 2.0.2 a full prefetch queue stops fetching until the broker thread next
    /// looks, up to about a second later (librdkafka issue #2879; 2.2 added
    /// `fetch.queue.backoff.ms`), so the consumer wakes the fetchers when it empties a queue that
    /// was full (`FetchWaker` in RelayKafka). The shares above were measured (benchmarks/HISTORY.md,
    /// ninth and tenth rounds).
    public var memoryBudgetMegabytes = 256
    /// Once paused by backpressure, partitions stay paused at least this long, so pause and
    /// resume cannot flap faster than this.
    public var minimumPauseMilliseconds = 250
    /// The settled frontier is committed (asynchronously) this often: librdkafka's
    /// `auto.commit.interval.ms`, unless that is set explicitly (`delivery.commit_interval_ms`)…
    public var commitIntervalMilliseconds = 200
    /// …and, when above 0, as soon as it moved by this many events, at most ten times a second
    /// (`delivery.commit_every_events`). Off by default: commits of the relay's own (unlike the
    /// auto-commit) reached librdkafka's mock coordinator between generations in the cooperative
    /// rebalance scenario, and librdkafka then drops the assignment (see ``CommitPolicy``). What
    /// a crashed relay repeats is what is past the last commit; see docs/operations.md.
    public var commitEveryEvents = 0
    /// Threads that decode, normalise and encode a chunk of polled records in parallel; `nil`
    /// (the default) means one per CPU the process may run on. In a container limited to fewer
    /// CPUs than the host has, set it to the limit.
    public var preparationThreads: Int? = nil

    /// Resident memory of an idle relay (runtime, librdkafka, libcurl, threads), measured on
    /// Debian bookworm x86-64: the part of the budget that does not depend on the backlog.
    public static let idleMegabytes = 56

    public init() {}

    /// ``preparationThreads`` or, by default, the CPUs this process may run on.
    public var effectivePreparationThreads: Int {
        preparationThreads ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// The budget beyond the idle process, in bytes (at least 16 MiB).
    var workingBytes: Int { max(memoryBudgetMegabytes - Self.idleMegabytes, 16) << 20 }
    /// Bytes held for unsettled events above which consumption pauses.
    public var highWatermarkBytes: Int { workingBytes * 3 / 8 }
    /// Bytes held for unsettled events below which consumption resumes.
    public var lowWatermarkBytes: Int { highWatermarkBytes * 3 / 4 }
    /// librdkafka's prefetch limit derived from the budget.
    public var prefetchKilobytes: Int { workingBytes / 8 / 1024 }
    /// The most one fetch response may carry (`fetch.max.bytes`, unless set explicitly): what a
    /// fetch may add beyond a full prefetch queue, so a thirty-second of the working budget.
    public var fetchMaximumBytes: Int { workingBytes / 32 }
}

/// The enabled destinations; `nil` means disabled.
public struct DestinationSettings: Sendable {
    public var meta: MetaDestinationConfiguration?
    public var google: GoogleDestinationConfiguration?
    public var tiktok: TikTokDestinationConfiguration?
    public var pinterest: PinterestDestinationConfiguration?
    public var snapchat: SnapchatDestinationConfiguration?

    public init(
        meta: MetaDestinationConfiguration? = nil, google: GoogleDestinationConfiguration? = nil,
        tiktok: TikTokDestinationConfiguration? = nil, pinterest: PinterestDestinationConfiguration? = nil,
        snapchat: SnapchatDestinationConfiguration? = nil
    ) {
        self.meta = meta
        self.google = google
        self.tiktok = tiktok
        self.pinterest = pinterest
        self.snapchat = snapchat
    }

    /// The enabled destinations, in a fixed order.
    public func makeDestinations() -> [any ConversionDestination] {
        var result: [any ConversionDestination] = []
        if let meta { result.append(MetaDestination(configuration: meta)) }
        if let google { result.append(GoogleDestination(configuration: google)) }
        if let tiktok { result.append(TikTokDestination(configuration: tiktok)) }
        if let pinterest { result.append(PinterestDestination(configuration: pinterest)) }
        if let snapchat { result.append(SnapchatDestination(configuration: snapchat)) }
        return result
    }
}
