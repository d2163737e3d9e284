import Foundation
import Logging
import RelayCore
import RelayDestinations
import Yams

/// A configuration problem, naming the key and what is wrong with it (never a secret's value).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the offending key, e.g. `destinations.meta.pixel_id`.
    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { key.isEmpty ? problem : "\(key): \(problem)" }
}

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
        let reader = Section(mapping: root, path: "", environment: environment)
        try reader.allowOnly(["kafka", "relay", "delivery", "retry", "destinations", "stores", "routing", "observability", "logging"])

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
                "preparation_threads",
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

    /// One `destinations`-shaped block: the top-level one or a store's.
    fileprivate func destinationSettings(_ destinations: Section) throws(ConfigurationError) -> DestinationSettings {
        var result = DestinationSettings()
        try destinations.allowOnly(["meta", "google", "tiktok", "pinterest", "snapchat"])
        let common: Set<String> = ["enabled", "endpoint", "batch", "timeout_ms", "max_event_age_days", "requests_per_minute", "requests_per_day"]

        if let meta = try destinations.section("meta"), try meta.bool("enabled") ?? true {
            try meta.allowOnly(common.union(["pixel_id", "access_token", "access_token_file", "api_version", "test_event_code", "action_source"]))
            let pixelID = try meta.digits("pixel_id", what: "the numeric pixel (dataset) id")
            var settings = MetaDestinationConfiguration(pixelID: pixelID, accessToken: try meta.secret("access_token"))
            settings.apiVersion = try meta.string("api_version") ?? settings.apiVersion
            guard settings.apiVersion.hasPrefix("v") else {
                throw ConfigurationError(key: meta.key("api_version"), problem: "must look like v26.0")
            }
            settings.testEventCode = try meta.string("test_event_code")
            settings.actionSource = try meta.string("action_source") ?? settings.actionSource
            let sources = ["website", "email", "app", "phone_call", "chat", "physical_store", "system_generated", "business_messaging", "other"]
            guard sources.contains(settings.actionSource) else {
                throw ConfigurationError(key: meta.key("action_source"), problem: "must be one of \(sources.joined(separator: ", "))")
            }
            try meta.readCommon(into: &settings, maximumEvents: MetaDestinationConfiguration.maximumEventsPerRequest)
            if try meta.string("max_event_age_days") != nil {
                throw ConfigurationError(key: meta.key("max_event_age_days"), problem: "is fixed at Meta's documented 7 days")
            }
            result.meta = settings
        }

        if let google = try destinations.section("google"), try google.bool("enabled") ?? true {
            try google.allowOnly(common.union([
                "operating_account_id", "login_account_id", "conversion_action_id", "service_account_key_file",
                "access_token_file", "token_uri", "validate_only",
            ]))
            let operating = try google.digits("operating_account_id", what: "the 10-digit Google Ads account id, no dashes", length: 10)
            let conversionAction = try google.digits("conversion_action_id", what: "the numeric conversion action id")
            let keyFile = try google.string("service_account_key_file")
            let tokenFile = try google.string("access_token_file")
            // Values only: the provider that fetches tokens is built where the shared HTTP client
            // lives (RelayConfiguration.withCredentialProviders(http:)), so loading starts nothing.
            let credentials: GoogleCredentials
            switch (keyFile, tokenFile) {
            case (let path?, nil):
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw ConfigurationError(key: google.key("service_account_key_file"), problem: "cannot read the file")
                }
                let tokenURI = try google.url("token_uri")
                do {
                    credentials = .serviceAccountKey(
                        try ServiceAccountKey(keyFileContents: [UInt8](contents), tokenURIOverride: tokenURI))
                } catch {
                    throw ConfigurationError(key: google.key("service_account_key_file"), problem: error.description)
                }
            case (nil, let path?):
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw ConfigurationError(key: google.key("access_token_file"), problem: "cannot read the file")
                }
                credentials = .accessTokenFile(path: path)
            case (nil, nil):
                throw ConfigurationError(
                    key: google.key("service_account_key_file"), problem: "is required (or access_token_file)")
            case (.some, .some):
                throw ConfigurationError(
                    key: google.key("service_account_key_file"), problem: "give either it or access_token_file, not both")
            }
            var settings = GoogleDestinationConfiguration(
                operatingAccountID: operating, conversionActionID: conversionAction, credentials: credentials)
            if try google.string("login_account_id") != nil {
                settings.loginAccountID = try google.digits("login_account_id", what: "a 10-digit Google Ads account id", length: 10)
            }
            settings.validateOnly = try google.bool("validate_only") ?? false
            try google.readCommon(into: &settings, maximumEvents: GoogleDestinationConfiguration.maximumEventsPerRequest)
            settings.maximumEventAgeSeconds = try google.ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 90)
            result.google = settings
        }

        if let tiktok = try destinations.section("tiktok"), try tiktok.bool("enabled") ?? true {
            try tiktok.allowOnly(common.union(["pixel_code", "access_token", "access_token_file", "test_event_code", "event_name"]))
            guard let pixel = try tiktok.string("pixel_code", required: true), !pixel.isEmpty,
                pixel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { throw ConfigurationError(key: tiktok.key("pixel_code"), problem: "must be the pixel code (letters and digits)") }
            var settings = TikTokDestinationConfiguration(pixelCode: pixel, accessToken: try tiktok.secret("access_token"))
            settings.testEventCode = try tiktok.string("test_event_code")
            settings.eventName = try tiktok.string("event_name") ?? settings.eventName
            guard ["Purchase", "CompletePayment", "PlaceAnOrder"].contains(settings.eventName) else {
                throw ConfigurationError(key: tiktok.key("event_name"), problem: "must be Purchase, CompletePayment or PlaceAnOrder")
            }
            try tiktok.readCommon(into: &settings, maximumEvents: TikTokDestinationConfiguration.maximumEventsPerRequest)
            settings.maximumEventAgeSeconds = try tiktok.ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 28)
            result.tiktok = settings
        }

        if let pinterest = try destinations.section("pinterest"), try pinterest.bool("enabled") ?? true {
            try pinterest.allowOnly(common.union(["ad_account_id", "access_token", "access_token_file", "test"]))
            let account = try pinterest.digits("ad_account_id", what: "the numeric ad account id (at most 18 digits)")
            guard account.count <= 18 else {
                throw ConfigurationError(key: pinterest.key("ad_account_id"), problem: "must be at most 18 digits")
            }
            var settings = PinterestDestinationConfiguration(adAccountID: account, accessToken: try pinterest.secret("access_token"))
            settings.testMode = try pinterest.bool("test") ?? false
            try pinterest.readCommon(into: &settings, maximumEvents: PinterestDestinationConfiguration.maximumEventsPerRequest)
            settings.maximumEventAgeSeconds = try pinterest.ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 28)
            result.pinterest = settings
        }

        if let snapchat = try destinations.section("snapchat"), try snapchat.bool("enabled") ?? true {
            try snapchat.allowOnly(common.union(["pixel_id", "access_token", "access_token_file", "validate_only"]))
            guard let pixel = try snapchat.string("pixel_id", required: true), !pixel.isEmpty,
                pixel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { throw ConfigurationError(key: snapchat.key("pixel_id"), problem: "must be the pixel id (letters, digits, dashes)") }
            var settings = SnapchatDestinationConfiguration(pixelID: pixel, accessToken: try snapchat.secret("access_token"))
            settings.validateOnly = try snapchat.bool("validate_only") ?? false
            try snapchat.readCommon(into: &settings, maximumEvents: SnapchatDestinationConfiguration.maximumEventsPerRequest)
            settings.maximumEventAgeSeconds = try snapchat.ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 37)
            result.snapchat = settings
        }
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

/// Typed access to one YAML mapping, with errors that carry the dotted key path.
private struct Section {
    let mapping: Node.Mapping
    let path: String
    let environment: [String: String]

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func node(_ name: String) -> Node? { mapping[Node(name)] }

    func allowOnly(_ names: Set<String>) throws(ConfigurationError) {
        for (keyNode, _) in mapping {
            guard let name = keyNode.string, names.contains(name) else {
                throw ConfigurationError(
                    key: key(keyNode.string ?? "?"), problem: "unknown key (allowed: \(names.sorted().joined(separator: ", ")))")
            }
        }
    }

    func section(_ name: String, required: Bool = false) throws(ConfigurationError) -> Section? {
        guard let node = node(name), node != Node("~"), node.tag != .init(.null) else {
            if required { throw ConfigurationError(key: key(name), problem: "is required") }
            return nil
        }
        guard let child = node.mapping else { throw ConfigurationError(key: key(name), problem: "must be a mapping") }
        return Section(mapping: child, path: key(name), environment: environment)
    }

    func string(_ name: String, required: Bool = false) throws(ConfigurationError) -> String? {
        guard let node = node(name), node.tag != .init(.null) else {
            if required { throw ConfigurationError(key: key(name), problem: "is required") }
            return nil
        }
        guard let scalar = node.scalar else { throw ConfigurationError(key: key(name), problem: "must be a string") }
        return try expand(scalar.string, key: key(name))
    }

    func integer(_ name: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else { throw ConfigurationError(key: key(name), problem: "must be an integer") }
        guard range.contains(value) else {
            throw ConfigurationError(key: key(name), problem: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError(key: key(name), problem: "must be true or false")
        }
    }

    func url(_ name: String) throws(ConfigurationError) -> String? {
        guard let text = try string(name) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
            url.query == nil
        else {
            throw ConfigurationError(key: key(name), problem: "must be an http(s) base URL without query string")
        }
        return text
    }

    func stringMap(_ name: String) throws(ConfigurationError) -> [String: String] {
        guard let node = node(name), node.tag != .init(.null) else { return [:] }
        guard let map = node.mapping else { throw ConfigurationError(key: key(name), problem: "must be a mapping") }
        var result: [String: String] = [:]
        for (keyNode, valueNode) in map {
            guard let property = keyNode.string, let value = valueNode.scalar?.string else {
                throw ConfigurationError(key: key(name), problem: "must map property names to strings")
            }
            result[property] = try expand(value, key: "\(key(name)).\(property)")
        }
        return result
    }

    /// A secret from `name` (which must be a `${ENV}` reference) or from the file at `name_file`.
    func secret(_ name: String) throws(ConfigurationError) -> Secret {
        let fileKey = "\(name)_file"
        let inline = node(name)?.scalar?.string
        let file = try string(fileKey)
        switch (inline, file) {
        case (nil, nil):
            throw ConfigurationError(key: key(name), problem: "is required (as ${ENV_VAR} or via \(fileKey))")
        case (.some, .some):
            throw ConfigurationError(key: key(name), problem: "give either \(name) or \(fileKey), not both")
        case (.some(let text), nil):
            guard text.hasPrefix("${"), text.hasSuffix("}") else {
                throw ConfigurationError(
                    key: key(name), problem: "secrets must not be written into the file; use ${ENV_VAR} or \(fileKey)")
            }
            let value = try expand(text, key: key(name))
            guard !value.isEmpty else { throw ConfigurationError(key: key(name), problem: "is empty") }
            return Secret(value)
        case (nil, .some(let path)):
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(key: key(fileKey), problem: "cannot read the file")
            }
            let value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw ConfigurationError(key: key(fileKey), problem: "the file is empty") }
            return Secret(value)
        }
    }

    /// A string of digits (optionally of an exact length).
    func digits(_ name: String, what: String, length: Int? = nil) throws(ConfigurationError) -> String {
        let text = try string(name, required: true)!
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), length.map({ text.count == $0 }) ?? true else {
            throw ConfigurationError(key: key(name), problem: "must be \(what)")
        }
        return text
    }

    /// `max_event_age_days`, at most the platform's own limit.
    func ageSeconds(default defaults: Int64, maximumDays: Int) throws(ConfigurationError) -> Int64 {
        guard let days = try integer("max_event_age_days", range: 1...maximumDays) else { return defaults }
        return Int64(days) * 86_400
    }

    /// `endpoint`, `timeout_ms`, `batch` and `requests_per_minute`, which every destination takes.
    func readCommon<Settings: CommonDestinationSettings>(into settings: inout Settings, maximumEvents: Int)
        throws(ConfigurationError)
    {
        settings.endpoint = try url("endpoint") ?? settings.endpoint
        settings.timeoutMilliseconds = try integer("timeout_ms", range: 100...600_000) ?? settings.timeoutMilliseconds
        settings.batchPolicy = try batchPolicy(default: settings.batchPolicy, maximumEvents: maximumEvents)
        settings.requestsPerMinute = try integer("requests_per_minute", range: 1...1_000_000) ?? settings.requestsPerMinute
        settings.requestsPerDay = try integer("requests_per_day", range: 1...1_000_000_000) ?? settings.requestsPerDay
    }

    func batchPolicy(default defaults: BatchPolicy, maximumEvents: Int) throws(ConfigurationError) -> BatchPolicy {
        guard let batch = try section("batch") else { return defaults }
        try batch.allowOnly(["max_events", "max_bytes", "linger_ms"])
        var policy = defaults
        policy.maximumEvents = try batch.integer("max_events", range: 1...maximumEvents) ?? policy.maximumEvents
        policy.maximumBytes = try batch.integer("max_bytes", range: 1024...(64 << 20)) ?? policy.maximumBytes
        policy.lingerMilliseconds = try batch.integer("linger_ms", range: 0...60_000) ?? policy.lingerMilliseconds
        return policy
    }

    /// Replaces every `${NAME}` with the environment variable's value.
    func expand(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigurationError(key: key, problem: "unclosed ${ in value")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw ConfigurationError(key: key, problem: "environment variable \(name) is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
