import Foundation
import RelayHTTP
@testable import RelayService
import Testing

/// `/healthz` over HTTP from a running engine (the decisions: RelayServiceTests.HealthDecisionTests).
@Suite(.serialized, .timeLimit(.minutes(2))) struct HealthEndpointTests {
    static let listener: ObservabilitySettings = {
        var settings = ObservabilitySettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        return settings
    }()

    /// A running engine's poll loop keeps stamping, so `/healthz` stays 200 with a 1 s threshold
    /// long after the engine was created; a server that also watches an engine whose loop never
    /// runs turns 503.
    @Test func healthzFollowsThePollLoop() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        let created = Date()
        let relay = try RunningRelay(fixture.configuration(group: "health-running"))
        let running = try await ObservabilityServer(settings: Self.listener, engine: relay.engine, stallAfterMilliseconds: 1_000)
        let idle = try RelayEngine(
            configuration: fixture.configuration(group: "health-idle"), role: .main, http: http, telemetry: RelayTelemetry(),
            logger: testLogger)
        // The running engine is fine, but the one it also watches (as `run` does its in-process
        // retry consumer) never goes round.
        let stuck = try await ObservabilityServer(
            settings: Self.listener, engine: relay.engine, alsoWatching: [idle], stallAfterMilliseconds: 1_000)
        let stalled = try await eventually(seconds: 30) {
            Date().timeIntervalSince(created) > 2 && idle.heartbeat.liveness(stallAfterMilliseconds: 1_000).isAlive == false
        }
        #expect(stalled)
        let alive = try await http.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(running.port)/healthz"))
        let dead = try await http.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(stuck.port)/healthz"))
        try await relay.stop()
        try await running.shutdown()
        try await stuck.shutdown()
        #expect(alive.status == 200, "\(String(decoding: alive.body, as: UTF8.self))")
        #expect(dead.status == 503)
        #expect(String(decoding: dead.body, as: UTF8.self).contains(#""status":"stalled""#))
    }
}
