import ArgumentParser
import Foundation
import Logging
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayInput
import RelayService

@main
struct ConversionRelay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conversion-relay",
        abstract: "Relays order.completed events from Kafka to ad-platform conversion APIs.",
        subcommands: [Run.self, Retry.self, Replay.self, Demo.self, CheckConfig.self, Normalize.self, Preview.self, Verify.self]
    )
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the relay against a Kafka cluster (with the retry-topic consumer, unless retry.in_process is false).")

    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String

    func run() async throws {
        let configuration = try loadConfiguration(config)
        var roles: [RelayEngine.Role] = [.main]
        if configuration.retry.inProcess { roles.append(.retry) }
        try await runEngines(configuration, roles: roles)
    }
}

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run only the retry-topic consumer (when retry.in_process is false, as its own deployment).")

    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String

    func run() async throws {
        try await runEngines(try loadConfiguration(config), roles: [.retry])
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-publish dead-letter records to the retry topic (after fixing a token or mapping).")

    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String

    @Option(help: "Only records for this destination (meta, google, tiktok, pinterest, snapchat).")
    var destination: String?

    @Option(help: "Only records with this error class (relay.error.class), e.g. auth, too_old.")
    var reason: String?

    @Option(help: "Only records dead-lettered at or after this RFC 3339 time.")
    var since: String?

    @Option(help: "Only records dead-lettered at or before this RFC 3339 time.")
    var until: String?

    @Flag(help: "Count what would be replayed without writing or checkpointing anything.")
    var dryRun = false

    @Flag(help: "Ignore this filter's checkpoint and replay every record again.")
    var fromBeginning = false

    @Option(help: "Stop with exit code 1 when no record arrives for this many seconds before the end.")
    var stallSeconds: Double = 60

    func run() throws {
        let configuration = try loadConfiguration(config)
        func instant(_ text: String?, _ name: String) throws -> Int64? {
            guard let text else { return nil }
            guard let time = RFC3339.parse(text) else { throw ValidationError("--\(name) must be an RFC 3339 time") }
            return time.epochSeconds * 1000
        }
        let filter = DeadLetterReplayer.Filter(
            destination: destination, reason: reason, since: try instant(since, "since"), until: try instant(until, "until"))
        let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
        do {
            let summary = try DeadLetterReplayer(configuration: configuration, logger: logger).replay(
                filter, dryRun: dryRun, fromBeginning: fromBeginning, stallAfterSeconds: stallSeconds)
            print("{\"scanned\":\(summary.scanned),\"replayed\":\(summary.replayed),\"complete\":true,\"dry_run\":\(dryRun)}")
        } catch let stopped as DeadLetterReplayer.Stopped {
            print("{\"scanned\":\(stopped.summary.scanned),\"replayed\":\(stopped.summary.replayed),\"complete\":false,\"dry_run\":\(dryRun)}")
            FileHandle.standardError.write(Data("\(stopped)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Loads the configuration, or names the bad key on stderr and exits 78 (EX_CONFIG): the one
/// start-up path every subcommand shares.
func loadConfiguration(_ path: String) throws -> RelayConfiguration {
    do {
        return try ConfigurationLoader().load(path: path)
    } catch {
        FileHandle.standardError.write(Data("configuration error: \(error)\n".utf8))
        throw ExitCode(78)  // EX_CONFIG
    }
}

/// Sets the heap allocator up (see ``ProcessMemory/configureAllocator(preparationThreads:)``) and says which it is.
func configureHeap(preparationThreads: Int, logger: Logger) {
    let heap = ProcessMemory.configureAllocator(preparationThreads: preparationThreads)
    logger.info("heap allocator", metadata: ["allocator": "\(heap.allocator.rawValue)", "tuned": "\(heap.tuned)"])
}

/// Runs one engine per role until SIGTERM/SIGINT, with `/metrics`, `/healthz`, `/readyz` for the first.
func runEngines(_ configuration: RelayConfiguration, roles: [RelayEngine.Role]) async throws {
    let logger = bootstrapLogging(level: configuration.logLevel, format: configuration.logFormat)
    configureHeap(preparationThreads: configuration.delivery.effectivePreparationThreads, logger: logger)
    let http = CurlHTTPClient()
    // Credential providers are built here, on the one shared client: loading built none.
    var configuration = configuration.withCredentialProviders(http: http)
    let telemetry = RelayTelemetry()
    telemetry.memoryBudget(megabytes: configuration.delivery.memoryBudgetMegabytes)
    // Sampled requestStatus lookups for Google, composed here beside the engines (not in them).
    let statusPoller = configuration.wantsGoogleRequestStatusLookups
        ? GoogleRequestStatusPoller(http: http, telemetry: telemetry, logger: logger) : nil
    if let statusPoller { configuration = configuration.withGoogleRequestStatusPolling(statusPoller) }
    let statusPolling = Task { await statusPoller?.run() }
    defer { statusPolling.cancel() }
    let engines = try roles.map { role in
        try RelayEngine(configuration: configuration, role: role, http: http, telemetry: telemetry, logger: logger)
    }
    var observability: ObservabilityServer? = nil
    if configuration.observability.host != nil {
        observability = try await ObservabilityServer(
            settings: configuration.observability, engine: engines[0], alsoWatching: Array(engines.dropFirst()),
            stallAfterMilliseconds: PollLoopLiveness.stallThreshold(
                revokeDrainTimeoutMilliseconds: configuration.kafka.revokeDrainTimeoutMilliseconds))
        logger.info("serving /metrics, /healthz and /readyz", metadata: ["port": "\(observability!.port)"])
    }
    let signals = ShutdownSignals { for engine in engines { engine.shutdown() } }
    defer { withExtendedLifetime(signals) {} }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for engine in engines {
            group.addTask { try await engine.run() }
        }
        // A fatal error in one engine stops the others too.
        do {
            try await group.waitForAll()
        } catch {
            for engine in engines { engine.shutdown() }
            throw error
        }
    }
    try await observability?.shutdown()
    http.shutdown()
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the relay end to end on an in-process Kafka cluster and local sandbox destinations.")

    @Option(help: "Number of sample orders to publish.")
    var orders = 300

    @Option(help: "Every N-th order is malformed (0 for none).")
    var malformedEvery = 25

    @Option(help: "Publish the orders as native, segment, shopify or jq (a made-up in-house shape and its jq program) records.")
    var input = "native"

    @Option(help: "Log level (trace, debug, info, notice, warning, error).")
    var logLevel = "info"

    @Option(help: "Log format: json, text, or auto (json unless standard error is a terminal).")
    var logFormat = "auto"

    func run() async throws {
        let logger = bootstrapLogging(
            level: Logger.Level(rawValue: logLevel) ?? .info, format: LogFormat(rawValue: logFormat) ?? .automatic)
        configureHeap(preparationThreads: DeliverySettings().effectivePreparationThreads, logger: logger)
        var options = DemoRunner.Options()
        options.orders = orders
        options.malformedEvery = malformedEvery
        guard let format = InputFormat(rawValue: input) else {
            throw ValidationError("--input must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options.input = format
        let summary = try await DemoRunner(options: options, logger: logger).run { line in print(line) }
        print(summary.json)
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate a configuration file without connecting to anything.")

    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String

    func run() throws {
        let configuration = try loadConfiguration(config)
        let names = configuration.destinations.makeDestinations().map(\.name).joined(separator: ", ")
        print("configuration OK: topic \(configuration.kafka.topic), input \(configuration.input.format.rawValue), destinations \(names)")
    }
}

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Normalise and hash identifiers as each platform requires (JSON lines on stdin).",
        discussion: """
            Each input line: {"platform":"meta","field":"phone","value":"020 7946 0958","country":"GB"}
            Each output line: {"normalized":"442079460958","sha256":"…","send":"sha256"} or {"error":"…"}
            """)

    func run() throws {
        while let line = readLine() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            print(IdentityDebugger.process(line: line))
        }
    }
}

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the exact request each destination would send for one event, secrets redacted. Sends nothing.")

    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String

    @Option(name: .long, help: "Path of a JSON file holding one order, in the configuration's input format.")
    var event: String

    func run() throws {
        let configuration = try loadConfiguration(config)
        guard let data = FileManager.default.contents(atPath: event) else {
            FileHandle.standardError.write(Data("cannot read \(event)\n".utf8))
            throw ExitCode(66)
        }
        do {
            print(
                try RequestPreview.render(
                    configuration: configuration, eventBytes: [UInt8](data), nowSeconds: Int64(Date().timeIntervalSince1970)),
                terminator: "")
        } catch {
            FileHandle.standardError.write(Data("invalid event: \(error)\n".utf8))
            throw ExitCode(65)
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one synthetic purchase to each enabled destination through its test mode; nothing reaches production data.",
        discussion: """
            Meta and TikTok: test_event_code (the configured one, or the options below); Pinterest: test=true; \
            Snapchat: /events/validate; Google: validateOnly. One line per destination. Exits 1 if any \
            destination fails (or none is enabled), 78 if the configuration is invalid.
            """)

    @Option(name: .long, help: "Path of the YAML configuration file.")
    var config: String

    @Option(name: .long, help: "Meta test event code (Events Manager › Test events); overrides the configured one.")
    var metaTestEventCode: String?

    @Option(name: .long, help: "TikTok test event code (Events Manager › Test Events); overrides the configured one.")
    var tiktokTestEventCode: String?

    func run() async throws {
        let configuration = try loadConfiguration(config)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        let verifier = DestinationVerifier(metaTestEventCode: metaTestEventCode, tiktokTestEventCode: tiktokTestEventCode)
        let results = await verifier.verify(configuration, http: http, nowSeconds: Int64(Date().timeIntervalSince1970))
        for result in results { print(result.line) }
        // Nothing enabled is nothing verified: not a pass before going live.
        if results.isEmpty { print("no destination is enabled: nothing verified") }
        if results.isEmpty || results.contains(where: { !$0.accepted }) { throw ExitCode(1) }
    }
}

/// Logs go to standard error (JSON lines, or text on a terminal); standard output is for results.
func bootstrapLogging(level: Logger.Level, format: LogFormat) -> Logger {
    let json = format == .json || (format == .automatic && isatty(STDERR_FILENO) == 0)
    LoggingSystem.bootstrap { label in
        if json {
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    var logger = Logger(label: "conversion-relay")
    logger.logLevel = level
    return logger
}

/// Turns SIGTERM and SIGINT into a graceful shutdown.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(onSignal: @escaping @Sendable () -> Void) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: onSignal)
            source.resume()
            return source
        }
    }
}
