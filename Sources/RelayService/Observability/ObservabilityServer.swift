import RelayCore
import RelayHTTPServer

/// Serves `/metrics` (Prometheus text format), `/healthz` (the poll loop is not stuck: 503 when it
/// has not gone round for `stallAfterMilliseconds`) and `/readyz` (the member reached Kafka and has
/// its assignment; failing destinations are listed but do not make it unready) for one engine.
/// Liveness also covers the engines in `alsoWatching` (the in-process retry consumer): a stuck
/// poll loop in any of them fails it.
public final class ObservabilityServer: Sendable {
    private let server: LocalHTTPServer
    public var port: Int { server.port }

    /// `stallAfterMilliseconds`: see ``PollLoopLiveness/stallThreshold(revokeDrainTimeoutMilliseconds:)``.
    public init(
        settings: ObservabilitySettings, engine: RelayEngine, alsoWatching others: [RelayEngine] = [],
        stallAfterMilliseconds: Int64 = 70_000
    ) async throws {
        let heartbeats = ([engine] + others).map(\.heartbeat)
        let host = settings.host ?? "127.0.0.1"
        server = try await LocalHTTPServer(host: host, port: settings.port) { request in
            guard request.method == "GET" else { return ServerReply(.text(405, "method not allowed\n")) }
            switch request.path {
            case "/metrics":
                return ServerReply(.text(200, engine.telemetry.prometheusText(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
            case "/healthz":
                let slowest = heartbeats.map { $0.liveness(stallAfterMilliseconds: stallAfterMilliseconds) }
                    .max { $0.millisecondsSinceStamp < $1.millisecondsSinceStamp }
                if let liveness = slowest, !liveness.isAlive {
                    return ServerReply(
                        .json(503, #"{"status":"stalled","milliseconds_since_poll":\#(liveness.millisecondsSinceStamp)}"#))
                }
                return ServerReply(.json(200, #"{"status":"alive"}"#))
            case "/readyz":
                let health = engine.health
                var writer = JSONWriter()
                writer.beginObject()
                writer.key("ready"); writer.bool(health.isReady)
                writer.key("assignment_received"); writer.bool(health.assignmentReceived)
                writer.key("assigned_partitions"); writer.integer(Int64(health.assignedPartitions))
                writer.key("failing_destinations")
                writer.beginArray()
                for name in health.failingDestinations { writer.string(name) }
                writer.endArray()
                writer.endObject()
                return ServerReply(.json(health.isReady ? 200 : 503, String(decoding: writer.bytes, as: UTF8.self)))
            default:
                return ServerReply(.text(404, "not found\n"))
            }
        }
    }

    public func shutdown() async throws {
        try await server.shutdown()
    }
}
