import Foundation
import Logging
import RelayCore
import RelayDestinations
import Yams

/// Loads ``RelayConfiguration`` from YAML.
///
/// Secrets come only from `${ENV_VAR}` references or from `<key>_file` paths, never as literals
/// on the command line. Unknown keys are errors (a typo must not silently disable a setting).
public struct ConfigurationLoader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func load(path: String) throws(ConfigurationError) -> RelayConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: "", problem: "cannot read configuration file \(path)")
        }
        return try load(yaml: text)
    }

    public func load(yaml: String) throws(ConfigurationError) -> RelayConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(key: "", problem: "not valid YAML: \(error)")
        }
        guard let file = node?.mapping else { throw ConfigurationError(key: "", problem: "the file must be a YAML mapping") }
        let root = Self.applyingEnvironmentOverrides(to: file, environment: environment)
        let reader = ConfigurationSection(mapping: root, path: "", environment: environment)
        try reader.allowOnly([
            "kafka", "input", "relay", "delivery", "retry", "destinations", "stores", "routing", "observability", "logging",
        ])

        let kafkaSection = try reader.section("kafka", required: true)!
        try kafkaSection.allowOnly([
            "bootstrap_servers", "group_id", "topic", "retry_topic", "dead_letter_topic", "properties",
            "consumer_properties", "producer_properties", "revoke_drain_timeout_ms", "shutdown_drain_timeout_ms",
            "group_instance_id",
        ])
        var kafka = KafkaSettings(bootstrapServers: try kafkaSection.string("bootstrap_servers", required: true)!)
        kafka.groupID = try kafkaSection.string("group_id") ?? kafka.groupID
        kafka.topic = try kafkaSection.string("topic") ?? kafka.topic
        kafka.retryTopic = try kafkaSection.string("retry_topic")
        kafka.deadLetterTopic = try kafkaSection.string("dead_letter_topic")
        kafka.properties = try kafkaSection.stringMap("properties")
        kafka.consumerProperties = try kafkaSection.stringMap("consumer_properties")
        kafka.producerProperties = try kafkaSection.stringMap("producer_properties")
        // Static membership (KIP-345): a restart within session.timeout.ms causes no rebalance.
        if let instance = try kafkaSection.string("group_instance_id"), !instance.isEmpty {
            kafka.consumerProperties["group.instance.id"] = instance
        }
        kafka.revokeDrainTimeoutMilliseconds =
            try kafkaSection.integer("revoke_drain_timeout_ms", range: 0...300_000) ?? kafka.revokeDrainTimeoutMilliseconds
        kafka.shutdownDrainTimeoutMilliseconds =
            try kafkaSection.integer("shutdown_drain_timeout_ms", range: 0...600_000)
            ?? kafka.shutdownDrainTimeoutMilliseconds
        for forced in ["enable.auto.offset.store", "enable.auto.commit", "group.id", "bootstrap.servers"]
        where kafka.properties[forced] != nil || kafka.consumerProperties[forced] != nil {
            throw ConfigurationError(
                key: "kafka.properties.\(forced)",
                problem: "is managed by the relay (at-least-once offset handling) and cannot be overridden")
        }
        for topicKey in ["topic", "retry_topic", "dead_letter_topic"] {
            if let name = try kafkaSection.string(topicKey), !Self.isValidTopicName(name) {
                throw ConfigurationError(key: "kafka.\(topicKey)", problem: "not a valid Kafka topic name")
            }
        }
        var configuration = RelayConfiguration(kafka: kafka)

        if let input = try reader.section("input") {
            configuration.input = try input.inputSettings()
        }
        if let relay = try reader.section("relay") {
            try relay.allowOnly(["event_id_template"])
            if let template = try relay.string("event_id_template") {
                do {
                    configuration.eventIDTemplate = try EventIDTemplate(template)
                } catch {
                    throw ConfigurationError(key: "relay.event_id_template", problem: error.description)
                }
            }
        }

        if let delivery = try reader.section("delivery") {
            try delivery.allowOnly([
                "max_attempts", "initial_backoff_ms", "max_backoff_ms", "max_concurrent_requests",
                "high_watermark_events", "low_watermark_events", "handoff_after_ms", "memory_budget_mb", "min_pause_ms",
                "preparation_threads", "commit_interval_ms", "commit_every_events", "read_ahead_events",
            ])
            var settings = DeliverySettings()
            settings.handoffAfterMilliseconds = try delivery.integer("handoff_after_ms", range: 100...3_600_000) ?? settings.handoffAfterMilliseconds
            settings.maximumAttempts = try delivery.integer("max_attempts", range: 1...100) ?? settings.maximumAttempts
            settings.initialBackoffMilliseconds =
                try delivery.integer("initial_backoff_ms", range: 1...600_000) ?? settings.initialBackoffMilliseconds
            settings.maximumBackoffMilliseconds =
                try delivery.integer("max_backoff_ms", range: 1...3_600_000) ?? settings.maximumBackoffMilliseconds
            settings.maximumConcurrentRequests =
                try delivery.integer("max_concurrent_requests", range: 1...256) ?? settings.maximumConcurrentRequests
            settings.highWatermarkEvents =
                try delivery.integer("high_watermark_events", range: 1...10_000_000) ?? settings.highWatermarkEvents
            settings.lowWatermarkEvents =
                try delivery.integer("low_watermark_events", range: 0...10_000_000) ?? settings.lowWatermarkEvents
            settings.memoryBudgetMegabytes =
                try delivery.integer("memory_budget_mb", range: 32...65_536) ?? settings.memoryBudgetMegabytes
            settings.minimumPauseMilliseconds =
                try delivery.integer("min_pause_ms", range: 0...60_000) ?? settings.minimumPauseMilliseconds
            settings.preparationThreads = try delivery.integer("preparation_threads", range: 1...256)
            settings.commitIntervalMilliseconds =
                try delivery.integer("commit_interval_ms", range: 10...600_000) ?? settings.commitIntervalMilliseconds
            settings.commitEveryEvents = try delivery.integer("commit_every_events", range: 0...10_000_000) ?? settings.commitEveryEvents
            settings.readAheadEvents = try delivery.integer("read_ahead_events", range: 1...10_000_000) ?? settings.readAheadEvents
            guard settings.lowWatermarkEvents < settings.highWatermarkEvents else {
                throw ConfigurationError(key: "delivery.low_watermark_events", problem: "must be below delivery.high_watermark_events")
            }
            configuration.delivery = settings
        }

        if let destinations = try reader.section("destinations") {
            configuration.destinations = try destinationSettings(destinations)
        }
        if let stores = try reader.section("stores") {
            for (keyNode, _) in stores.mapping {
                guard let store = keyNode.string, OrderEventDecoder.isValidStoreID(store) else {
                    throw ConfigurationError(key: stores.key(keyNode.string ?? "?"), problem: "store ids are 1 to 64 printable ASCII characters without spaces")
                }
                let section = try stores.section(store, required: true)!
                let settings = try destinationSettings(section)
                guard !settings.makeDestinations().isEmpty else {
                    throw ConfigurationError(key: section.path, problem: "a store needs at least one enabled destination")
                }
                configuration.stores[store] = settings
            }
        }
        if let retry = try reader.section("retry") {
            try retry.allowOnly(["in_process", "delays_s", "max_attempts", "horizon_hours"])
            configuration.retry.inProcess = try retry.bool("in_process") ?? true
            if let node = retry.node("delays_s") {
                guard let list = node.sequence, !list.isEmpty,
                    case let delays = list.compactMap({ $0.scalar.flatMap { Int($0.string) } }), delays.count == list.count,
                    delays.allSatisfy({ (0...86_400).contains($0) })
                else {
                    throw ConfigurationError(key: retry.key("delays_s"), problem: "must be a list of seconds between 0 and 86400")
                }
                configuration.retry.delaysSeconds = delays
            }
            configuration.retry.maximumAttempts = try retry.integer("max_attempts", range: 1...100) ?? configuration.retry.maximumAttempts
            if let hours = try retry.integer("horizon_hours", range: 1...160) {
                configuration.retry.horizonSeconds = hours * 3600
            }
        }
        if let routing = try reader.section("routing") {
            try routing.allowOnly(["unknown_store"])
            if let policy = try routing.string("unknown_store") {
                guard let parsed = UnknownStorePolicy(rawValue: policy) else {
                    throw ConfigurationError(key: routing.key("unknown_store"), problem: "must be default or dead_letter")
                }
                configuration.unknownStorePolicy = parsed
            }
        }
        if let observability = try reader.section("observability") {
            try observability.allowOnly(["enabled", "host", "port"])
            if try observability.bool("enabled") == false {
                configuration.observability.host = nil
            } else {
                configuration.observability.host = try observability.string("host") ?? configuration.observability.host
                configuration.observability.port = try observability.integer("port", range: 0...65_535) ?? configuration.observability.port
            }
        }
        let hasDefault = !configuration.destinations.makeDestinations().isEmpty
        if !hasDefault, configuration.unknownStorePolicy == .useDefaultDestinations, !configuration.stores.isEmpty {
            configuration.unknownStorePolicy = .deadLetter
        }
        guard hasDefault || !configuration.stores.isEmpty else {
            throw ConfigurationError(key: "destinations", problem: "no destination is enabled")
        }

        if let logging = try reader.section("logging") {
            try logging.allowOnly(["level", "format"])
            if let format = try logging.string("format") {
                guard let parsed = LogFormat(rawValue: format) else {
                    throw ConfigurationError(key: "logging.format", problem: "must be json, text or auto")
                }
                configuration.logFormat = parsed
            }
            if let level = try logging.string("level") {
                guard let parsed = Logger.Level(rawValue: level) else {
                    throw ConfigurationError(
                        key: "logging.level", problem: "must be one of trace, debug, info, notice, warning, error, critical")
                }
                configuration.logLevel = parsed
            }
        }
        return configuration
    }

    /// One `destinations`-shaped block: the top-level one or a store's (one file per platform:
    /// `ConfigurationSection+Meta.swift`, …).
    func destinationSettings(_ destinations: ConfigurationSection) throws(ConfigurationError) -> DestinationSettings {
        try destinations.allowOnly(["meta", "google", "tiktok", "pinterest", "snapchat"])
        var result = DestinationSettings()
        result.meta = try destinations.enabledSection("meta")?.metaConfiguration()
        result.google = try destinations.enabledSection("google")?.googleConfiguration()
        result.tiktok = try destinations.enabledSection("tiktok")?.tiktokConfiguration()
        result.pinterest = try destinations.enabledSection("pinterest")?.pinterestConfiguration()
        result.snapchat = try destinations.enabledSection("snapchat")?.snapchatConfiguration()
        return result
    }

    /// Prefix of environment variables that override configuration keys:
    /// `CONVERSION_RELAY__KAFKA__BOOTSTRAP_SERVERS` sets `kafka.bootstrap_servers`. Levels are
    /// separated by `__`; keys with dots or dashes (librdkafka properties, store ids) cannot be
    /// addressed this way: reference an environment variable from the file instead (`${NAME}`).
    public static let environmentPrefix = "CONVERSION_RELAY__"

    /// Writes each override into the tree as a `${NAME}` reference to its own variable, so it goes
    /// through the same expansion (and secret rules) as the file.
    static func applyingEnvironmentOverrides(to root: Node.Mapping, environment: [String: String]) -> Node.Mapping {
        var root = root
        for name in environment.keys.sorted() where name.hasPrefix(environmentPrefix) {
            let path = name.dropFirst(environmentPrefix.count).components(separatedBy: "__").map { $0.lowercased() }
            guard !path.contains(where: \.isEmpty) else { continue }
            root = set(root, path[...], to: Node("${\(name)}"))
        }
        return root
    }

    private static func set(_ mapping: Node.Mapping, _ path: ArraySlice<String>, to value: Node) -> Node.Mapping {
        let name = path.first!
        var pairs = Array(mapping)
        // Match keys by name: composed keys carry tags and marks a fresh Node would not equal.
        let index = pairs.firstIndex { $0.key.string == name }
        let newValue: Node
        if path.count == 1 {
            newValue = value
        } else {
            let child = index.flatMap { pairs[$0].value.mapping } ?? Node.Mapping([])
            newValue = .mapping(set(child, path.dropFirst(), to: value))
        }
        if let index {
            pairs[index] = (pairs[index].key, newValue)
        } else {
            pairs.append((Node(name), newValue))
        }
        return Node.Mapping(pairs)
    }

    static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 249 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }
}
