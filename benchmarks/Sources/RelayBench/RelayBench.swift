import ArgumentParser
import Foundation
import Logging
import RelayCore
import RelayKafka
import RelaySandbox
import RelayService
import Synchronization

/// The end-to-end throughput harness (issues 6 and 23). Publishes seeded, realistic orders into
/// librdkafka's mock cluster (or a real cluster), measures a bare consumer's read rate of the
/// topic (the ceiling), then runs the real `conversion-relay` executable (1, 2, 4 instances in one
/// group) with all five destinations against the local sandbox, and reports orders/s, CPU
/// seconds per million orders, peak resident memory, produce-to-last-ack latency at half the
/// measured rate, and memory while one destination is slowed to a tenth of intake. Google's quota
/// is lifted for those runs and applied in one more (`orders_per_s_google_quota`).
@main
struct RelayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay-bench", abstract: "End-to-end throughput of conversion-relay against the local sandbox.")

    @Option(help: "Orders in the backlog.")
    var orders = 1_000_000

    @Option(help: "Seed of the order generator.")
    var seed: UInt64 = 2026

    @Option(help: "Every N-th order is malformed (100: about 1%).")
    var malformedEvery = 100

    @Option(help: "Relay instance counts to run, comma-separated.")
    var instances = "1,2,4"

    @Option(help: "The conversion-relay executable (built with -c release).")
    var relay = "../.build/release/conversion-relay"

    @Option(help: "Other conversion-relay builds to compare, comma-separated (one instance each, same backlog, before the main runs).")
    var compare: String?

    @Option(help: "A real Kafka cluster instead of the in-process mock (topics are created by the broker).")
    var bootstrap: String?

    @Option(help: "Sandbox response latency for every destination, in ms.")
    var latencyMs = 0

    @Option(help: "Seconds of the paced run (latency at half the measured rate); 0 skips it.")
    var pacedSeconds = 10

    @Option(help: "Seconds of the slow-destination run (memory while one destination is at 10%); 0 skips it.")
    var slowSeconds = 30

    @Option(help: "delivery.memory_budget_mb of the relay.")
    var memoryBudgetMb = 150

    @Option(help: "delivery.max_concurrent_requests of the relay (requests in flight per destination); the relay's default when not given.")
    var maxConcurrentRequests: Int?

    @Option(help: "Google's requests a minute for the main runs, shared by their instances: lifted (the configuration's maximum) by default, so the figures are the relay's own; Data Manager's documented 300 per Cloud project bounds any relay to 10,000 orders/s, which --quota-requests-per-minute measures.")
    var googleRequestsPerMinute = 1_000_000

    @Option(help: "Google's quota for the quota-bound run (one instance, same backlog, after the main runs): Data Manager's documented 300 requests a minute per Cloud project; 0 skips the run.")
    var quotaRequestsPerMinute = GoogleQuota.documentedRequestsPerMinute

    @Option(help: "The sandbox validates one request in N per platform fully and finds the others' event ids by scanning their bodies (every event counted exactly); 1 validates every request.")
    var validateEvery = 64

    @Option(help: "Event-loop threads of the sandbox's HTTP server (its five platforms share them).")
    var sandboxThreads = 4

    @Option(
        name: .customLong("consumer-property"),
        help: "A librdkafka consumer property for the relays, KEY=VALUE (repeatable), after the harness's own.")
    var consumerProperties: [String] = []

    @Option(help: "Partitions of the backlog's topic; 0 sizes them from --orders (one per 3 MiB of orders, as the mock keeps about 5 MiB per partition). Fewer than that size are refused.")
    var partitions = 0

    @Option(help: "Consecutive orders of the backlog published to one partition before the next, so each producer batch (what the mock stores and serves, one per partition per Fetch) holds about that many; 1 spreads orders one by one, as before 2026-12-07. At most 1 MiB of orders.")
    var partitionRun = 500

    @Option(help: "compression.codec of the harness's producer for the backlog and the paced run (none, gzip, snappy, lz4, zstd): the mock stores batches as produced, and the relay's consumer decompresses them.")
    var compression = "none"

    func run() async throws {
        var logger = Logger(label: "relay-bench")
        logger.logLevel = .error
        let machine = MachineDescription.current
        say("machine: \(machine.summary)")
        let bench = try await Bench(options: self, logger: logger)
        defer { bench.close() }

        let backlog = try await bench.publishBacklog(orders: orders)
        say(String(format: "published %d orders (%.1f MB) to %d partitions in %.1f s", orders, backlog.megabytes, backlog.partitions, backlog.seconds))

        let ceiling = try bench.measureCeiling(topic: backlog.topic, orders: orders)
        say(String(format: "ceiling: bare librdkafka consumer %.0f orders/s", ceiling))

        if let compare {
            for path in compare.split(separator: ",").map(String.init) {
                let result = try await bench.runRelays(count: 1, backlog: backlog, executable: path)
                say("compare \(URL(fileURLWithPath: path).lastPathComponent): " + result.line(ceiling: ceiling))
            }
        }
        var results: [Bench.RunResult] = []
        for count in instances.split(separator: ",").compactMap({ Int($0) }) {
            let result = try await bench.runRelays(count: count, backlog: backlog)
            results.append(result)
            say(result.line(ceiling: ceiling))
        }
        guard let single = results.first else { return }

        var quotaBound: Bench.RunResult? = nil
        if quotaRequestsPerMinute > 0 {
            let result = try await bench.runRelays(count: 1, backlog: backlog, googleRequestsPerMinute: quotaRequestsPerMinute)
            quotaBound = result
            let quota = GoogleQuota(requestsPerMinute: quotaRequestsPerMinute)
            let allowed = quota.ordersPerSecond(orders: orders, googleEvents: backlog.expected.lazy.filter { $0 }.count)
            let share = allowed.isFinite
                ? String(format: "the quota allows %.0f orders/s, reached %.1f%%", allowed, result.ordersPerSecond / allowed * 100)
                : "the backlog fits in the burst (no bound)"
            say(String(format: "under Google's quota (%d requests a minute of up to %d events; the relay's burst %d requests): ",
                quotaRequestsPerMinute, GoogleQuota.maximumEventsPerRequest, quota.burstRequests) + share + "; " + result.line(ceiling: ceiling))
        }

        var latency: Bench.LatencyResult? = nil
        if pacedSeconds > 0 {
            latency = try await bench.runPaced(rate: single.ordersPerSecond / 2, seconds: pacedSeconds)
            if let latency {
                say(String(format: "paced at %.0f orders/s for %d s: produce to last platform's ack p50 %.1f ms, p99 %.1f ms, p999 %.1f ms (batch linger 200 ms), lost %d",
                    latency.rate, pacedSeconds, latency.p50, latency.p99, latency.p999, latency.lost))
                say(String(format: "  CPU per paced order: relay %.1f µs, harness (brokers, sandbox, producer, tracker) %.1f µs", latency.relayMicrosPerOrder, latency.harnessMicrosPerOrder))
                say("  the relay's requests (its /metrics): " + latency.requests.sorted { $0.key < $1.key }.map {
                    String(format: "%@ %.0f requests, mean %.1f ms, mean %.0f events", $0.key, $0.value.requests, $0.value.meanMilliseconds, $0.value.meanEvents)
                }.joined(separator: "; "))
                say("  p99 per platform: " + latency.platformP99.sorted { $0.key < $1.key }.map { String(format: "%@ %.1f ms", $0.key, $0.value) }.joined(separator: ", "))
            }
        }
        if slowSeconds > 0 {
            let slow = try await bench.runSlowDestination(intakeRate: single.ordersPerSecond, seconds: slowSeconds, backlog: backlog)
            say(String(format: "one destination at 10%% of intake for %d s: resident memory from 25%% of the run on min %.1f, median %.1f, max %.1f MB, drift %+.1f MB (mean of its last half minus its first), peak %.1f MB; %d backpressure pauses",
                slowSeconds, slow.steadyMinimumMegabytes, slow.steadyMedianMegabytes, slow.steadyMaximumMegabytes,
                slow.driftMegabytes, slow.peakMegabytes, slow.pauses))
        }
        let summary: [(String, String)] = [
            ("orders_per_s", String(Int(single.ordersPerSecond))),
            ("ceiling_orders_per_s", String(Int(ceiling))),
            ("p50_ms", latency.map { String(format: "%.1f", $0.p50) } ?? "null"),
            ("p99_ms", latency.map { String(format: "%.1f", $0.p99) } ?? "null"),
            ("p999_ms", latency.map { String(format: "%.1f", $0.p999) } ?? "null"),
            ("peak_rss_mb", String(format: "%.1f", single.peakMegabytes)),
            ("cpu_s_per_million", String(format: "%.1f", single.cpuSecondsPerMillion)),
            ("harness_cpu_s_per_million", String(format: "%.1f", single.harnessCPUSecondsPerMillion)),
            ("orders_per_s_google_quota", quotaBound.map { String(Int($0.ordersPerSecond)) } ?? "null"),
            ("orders", String(orders)),
            // Every run's losses and duplicates: the line says "lost":0 only when none lost anything.
            ("lost", String(results.reduce(0) { $0 + $1.lost } + (quotaBound?.lost ?? 0))),
            ("duplicates", String(results.reduce(0) { $0 + $1.duplicates } + (quotaBound?.duplicates ?? 0))),
        ]
        say("{" + summary.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    }
}

/// What machine the figures come from.
struct MachineDescription {
    var summary: String

    static var current: MachineDescription {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
            .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory >> 30
        return MachineDescription(summary: "\(model), \(cores) cores, \(memory) GiB, \(RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970)))")
    }
}

/// Prints a line at once (unbuffered), so progress shows while the harness runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
