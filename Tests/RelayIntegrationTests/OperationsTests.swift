import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelayKafka
import RelaySandbox
import RelayService
import Testing

/// Parses the Prometheus text format into `name{labels}` → value.
func parsePrometheus(_ text: String) -> [String: Double] {
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        values[String(line[..<space])] = value
    }
    return values
}

func metric(_ values: [String: Double], _ name: String, _ labels: [String: String] = [:]) -> Double {
    values.filter { key, _ in
        guard key == name || key.hasPrefix(name + "{") else { return false }
        return labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
    }.values.reduce(0, +)
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct OperationsTests {
    static let listener: ObservabilitySettings = {
        var settings = ObservabilitySettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        return settings
    }()

    /// One relay run for the operator's endpoints: `/metrics` matches the sandbox's ledgers and
    /// leaks nothing, `/readyz` reports the assignment, and `/healthz` follows the poll loop. A
    /// running engine's loop keeps stamping, so `/healthz` stays 200 with a 1 s threshold long
    /// after the engine was created; a server that also watches an engine whose loop never runs
    /// (as `run` watches its in-process retry consumer) turns 503.
    @Test func metricsMatchTheLedgersAndHealthFollowsThePollLoopAndReadiness() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 4)
        let orders = samples(100, malformedEvery: 25, seed: 5)
        _ = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = fixture.configuration(group: "metrics")
        configuration.destinations = try .sandbox(fixture.sandbox, http: http)
        let created = Date()
        let relay = try RunningRelay(configuration)
        let server = try await ObservabilityServer(settings: Self.listener, engine: relay.engine, stallAfterMilliseconds: 1_000)
        let idle = try RelayEngine(
            configuration: fixture.configuration(group: "health-idle"), role: .main, http: http, telemetry: RelayTelemetry(),
            logger: testLogger)
        let stuck = try await ObservabilityServer(
            settings: Self.listener, engine: relay.engine, alsoWatching: [idle], stallAfterMilliseconds: 1_000)
        let base = "http://127.0.0.1:\(server.port)"
        #expect(try await http.execute(HTTPRequest(method: "GET", url: base + "/healthz")).status == 200)
        let inspector = try fixture.inspector(group: "metrics")
        let settled = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 100 }
        #expect(settled)
        let stalled = await eventually(seconds: 30) {
            Date().timeIntervalSince(created) > 2 && idle.heartbeat.liveness(stallAfterMilliseconds: 1_000).isAlive == false
        }
        #expect(stalled)
        let alive = try await http.execute(HTTPRequest(method: "GET", url: base + "/healthz"))
        let dead = try await http.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(stuck.port)/healthz"))
        let ready = try await http.execute(HTTPRequest(method: "GET", url: base + "/readyz"))
        #expect(ready.status == 200, "\(String(decoding: ready.body, as: UTF8.self))")
        let scraped = try await http.execute(HTTPRequest(method: "GET", url: base + "/metrics"))
        try await relay.stop()
        try await server.shutdown()
        try await stuck.shutdown()
        #expect(alive.status == 200, "\(String(decoding: alive.body, as: UTF8.self))")
        #expect(dead.status == 503)
        #expect(String(decoding: dead.body, as: UTF8.self).contains(#""status":"stalled""#))
        #expect(scraped.status == 200)
        let text = String(decoding: scraped.body, as: UTF8.self)
        let values = parsePrometheus(text)

        let malformed = orders.filter { !$0.isValid }.count
        let refused = orders.filter { $0.isValid && !$0.marketingConsent }.count
        #expect(malformed > 0 && refused > 0)
        #expect(metric(values, "conversion_relay_events_consumed_total") == 100)
        #expect(metric(values, "conversion_relay_events_decoded_total") == Double(100 - malformed))
        #expect(metric(values, "conversion_relay_events_poison_total") == Double(malformed))
        for platform in ["meta", "google", "tiktok", "pinterest", "snapchat"] {
            let receipts = fixture.sandbox.receipts(platform).count
            #expect(metric(values, "conversion_relay_destination_events_acked_total", ["destination": platform]) == Double(receipts), "\(platform)")
            #expect(
                metric(values, "conversion_relay_destination_events_excluded_total", ["destination": platform, "reason": "no_consent"])
                    == Double(refused), "\(platform)")
            #expect(metric(values, "conversion_relay_destination_requests_total", ["destination": platform]) == Double(fixture.sandbox.requestCount(platform)))
            #expect(metric(values, "conversion_relay_destination_identifier_events_total", ["destination": platform, "identifier": "email"]) == Double(receipts))
            #expect(metric(values, "conversion_relay_destination_request_duration_seconds_count", ["destination": platform]) > 0)
        }
        #expect(metric(values, "conversion_relay_partitions_assigned", ["role": "main"]) == 4)
        // Low cardinality and no personal data: no order id, event id, identifier or token.
        for order in orders {
            #expect(!text.contains(order.orderID))
            for value in order.personalValues where value.count >= 5 { #expect(!text.lowercased().contains(value.lowercased())) }
        }
        for token in ["sandbox-meta-token", "sandbox-tiktok-token", "sandbox-pinterest-token", "sandbox-snapchat-token", "sandbox-google-access"] {
            #expect(!text.contains(token))
        }
    }

    @Test func storesSelectTheirAccountsAndUnknownStoresAreDeadLettered() async throws {
        let fixture = try await Fixture.make(brokers: 1, partitions: 2)
        let orders = samples(80, seed: 9)
        _ = try await fixture.publish(orders)
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        let all = try DestinationSettings.sandbox(fixture.sandbox, http: http)
        var configuration = fixture.configuration(group: "stores")
        configuration.destinations = DestinationSettings(pinterest: all.pinterest)
        configuration.stores = ["shop-de": DestinationSettings(meta: all.meta), "shop-us": DestinationSettings(tiktok: all.tiktok)]
        configuration.unknownStorePolicy = .deadLetter
        let relay = try RunningRelay(configuration)
        let inspector = try fixture.inspector(group: "stores")
        let settled = try await eventually(seconds: 60) { try inspector.committedAndEnd(topic: "orders").committed == 80 }
        try await relay.stop()
        #expect(settled)

        func store(_ sample: SampleOrderGenerator.Sample) -> String? {
            guard case .object(let json) = try? JSONParser().parse(sample.bytes), case .string(let id)? = json["store_id"] else { return nil }
            return id
        }
        let deliverableOrders = orders.filter { $0.isValid && $0.marketingConsent }
        expectSameEventIDs(Set(fixture.sandbox.receipts("meta").map(\.eventID)), Set(deliverableOrders.filter { store($0) == "shop-de" }.map(\.orderID)), "meta")
        expectSameEventIDs(Set(fixture.sandbox.receipts("tiktok").map(\.eventID)), Set(deliverableOrders.filter { store($0) == "shop-us" }.map(\.orderID)), "tiktok")
        #expect(fixture.sandbox.receipts("pinterest").isEmpty)
        let unknown = orders.filter { !["shop-de", "shop-us"].contains(store($0) ?? "") }
        #expect(!unknown.isEmpty)
        let dead = try fixture.readAll("orders.conversion-dlq", expected: unknown.count)
        #expect(dead.count == unknown.count)
        #expect(dead.allSatisfy { RetryEnvelope(headers: $0.headers)?.errorClass == "unknown_store" })
    }
}
